"""Writes the malformed/awkward inventory corpus (run: python tests/corpus/build_corpus.py).

Each file is one case from issue 3; tests/test_load_corpus.py says what each must give.
The files are committed; this script documents how the binary ones were made.
"""

from __future__ import annotations

import io
from pathlib import Path

HERE = Path(__file__).parent
H = "System ID,Name,Vendor,Annual Cost,Contract End\n"


def w(name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> None:
    (HERE / name).write_bytes(text.replace("\n", newline).encode(encoding))


def main() -> None:
    # formats
    w("basic.csv", H + "B-1,Payroll,SAP,\"£12,500\",31/03/2027\nB-2,Email,Microsoft,1000,2026-06-30\n")
    w("tab-separated.tsv", "System ID\tName\tVendor\tAnnual Cost\nT-1\tPayroll, HR\tSAP\t£1,000\nT-2\tCRM\tSalesforce\t2000\n")
    w("semicolon.csv", "System ID;Name;Vendor;Annual Cost\nS-1;Payroll;SAP;\"1,000\"\nS-2;CRM;Salesforce;2000\n")
    w("pipe-delimited.txt", "System ID|Name|Vendor\nP-1|Payroll|SAP\nP-2|CRM|Salesforce\n")
    w("utf8-bom.csv", "\ufeff" + H + "U-1,Café booking,Acme,£500,2027\n")
    w("utf16-excel-unicode.txt", "\ufeffSystem ID\tName\tAnnual Cost\nX-1\tPayroll\t£2,000\nX-2\tRégime\t£3,000\n", "utf-16-le")
    w("utf16-be.csv", "\ufeff" + H + "Y-1,Payroll,SAP,£10,2027-01-31\n", "utf-16-be")
    w("windows-1252.csv", H + "W-1,Payroll – core,SAP,\"£12,500\",31/03/2027\n", "cp1252", "\r\n")
    w("quoted-newlines.csv", 'System ID,Name,Notes\nQ-1,Payroll,"line one\nline two\nline three"\nQ-2,CRM,"said ""hi"""\n')
    w("trailing-empty-rows-and-columns.csv", "System ID,Name,Vendor,,,\nE-1,Payroll,SAP,,,\nE-2,CRM,Salesforce,,,\n,,,,,\n,,,,,\n\n")
    w("title-block.csv", "Department of Examples - IT inventory\nExported 2024-05-01 by CMDB\n\nSystem ID,Application Name,Supplier\nTB-1,Payroll,SAP\nTB-2,CRM,Salesforce\n")
    w("crlf-and-cr.csv", "System ID,Name\r\nC-1,Payroll\r\nC-2,CRM\rC-3,HR\r")
    # headers
    w("header-synonyms.csv", "Ref,Application Name,Supplier,Annual Cost (£),Licence cost p.a.,Tenant,Renewal date,No. of users,Protective Marking\n"
      "HS-1,Payroll,SAP,\"£1,000\",\"£2,000\",payroll.example,31/03/2027,\"1,200\",Official\n")
    w("shouty-snake-case.csv", "APP_REF,APP_NAME,VENDOR_NAME,COST_GBP,CONTRACT_EXPIRY,GSC_MARKING\nSS-1,PAYROLL,SAP,100,2027-03-31,OFFICIAL\n")
    w("user-mapping.csv", "Widget Ref,Thing,Maker,Cost Centre\nUM-1,Payroll,SAP,CC-7\n")
    (HERE / "user-mapping.mapping.csv").write_text(
        "scope,header,field\n# per-file rules\nuser-mapping.csv,Widget Ref,system_id\n"
        "user-mapping.csv,Thing,name\n*,Maker,vendor\n*,Cost Centre,ignore\n*,Never Seen,notes\n",
        encoding="utf-8")
    w("unmapped-and-duplicate-columns.csv", "System ID,Application Name,System Name,Cost Centre,Favourite Colour\nUD-1,Payroll,Payroll (legacy),CC1,blue\n")
    w("department-column.csv", "Department,System ID,Name\nDWP,DC-1,Payroll\nHMRC,DC-2,Tax\n,DC-3,Orphan\ndwp,DC-4,Email\n")
    w("cost-in-thousands.csv", "System ID,Name,Annual Cost (£k)\nK-1,Payroll,12.5\nK-2,CRM,\"1,200\"\n")
    # values
    w("costs.csv", "System ID,Name,Annual Cost\n"
      "V-1,a,\"£12,500\"\nV-2,b,12.5k\nV-3,c,\"GBP 1,200.00\"\nV-4,d,\"(1,200)\"\nV-5,e,$500\n"
      "V-6,f,\"12,50\"\nV-7,g,£100 per month\nV-8,h,n/a\nV-9,i,Included in EA\n")
    w("users.csv", "System ID,Name,Users\nN-1,a,\"1,200\"\nN-2,b,~300\nN-3,c,300+\nN-4,d,lots\nN-5,e,100-200\nN-6,f,1.5\n")
    w("dates.csv", "System ID,Name,Contract End\n"
      "D-1,a,2027-03-31\nD-2,b,31/03/2027\nD-3,c,Mar-27\nD-4,d,2027\nD-5,e,Q1 2027\nD-6,f,FY2026/27\n"
      "D-7,g,03/31/2027\nD-8,h,9999-12-31\nD-9,i,rolling\nD-10,j,46477\nD-11,k,soon\n")
    w("lists.csv", 'System ID,Name,Integrates With,Data Domains\nL-1,a,"L-2; L-3","HR,Payroll"\nL-2,b,"L-1\nL-3",\nL-3,c,"HMRC:APP-1 | L-1",Email\n')
    w("classifications.csv", "System ID,Name,Classification\n"
      "CL-1,a,Official Sensitive\nCL-2,b,OFFSEN\nCL-3,c,O-S\nCL-4,d,TS\nCL-5,e,RESTRICTED\nCL-6,f,Confidential\nCL-7,g,Purple\nCL-8,h,official\n")
    w("placeholders.csv", "System ID,Name,Vendor,Annual Cost,Contract End\nPH-1,Payroll,n/a,TBC,-\nPH-2,CRM,Unknown,N/A,#N/A\n")
    # identity
    w("duplicate-ids.csv", "System ID,Name,Annual Cost\nDI-1,Payroll,100\nDI-1,Payroll v2,200\nDI-2,CRM,300\nDI-2,CRM,300\n")
    w("missing-ids.csv", "System ID,Name,Vendor\n,Payroll,SAP\n,Payroll,SAP Again\n,,Orphan vendor\nMI-1,CRM,Salesforce\nSystem ID,Name,Vendor\nTotal,,\n")
    (HERE / "cross-department").mkdir(exist_ok=True)
    w("cross-department/dwp.csv", "System ID,Name,Tenant\nSH-1,Shared HR,shared.onmicrosoft.com\nX-9,Common Portal,\n")
    w("cross-department/hmrc.csv", "System ID,Name,Tenant\nH-5,HR service,SHARED.onmicrosoft.com\nX-9,Common Portal,\n")
    w("ragged-rows.csv", "System ID,Name\nR-1,Payroll,stray,cells\nR-2\n")
    w("unterminated-quote.csv", 'System ID,Name,Notes\nUQ-1,Payroll,"never closed\nUQ-2,CRM,fine\nUQ-3,HR,fine\n')
    w("header-only.csv", H)
    # unusable
    w("empty.csv", "")
    w("whitespace-only.csv", "  \n\n \n")
    (HERE / "binary.csv").write_bytes(bytes(range(256)) * 4)
    w("no-header.csv", "Payroll,SAP,100\nCRM,Salesforce,200\n")
    (HERE / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + b"not really a zip" * 20)
    (HERE / "legacy.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
    (HERE / "pdf-renamed.csv").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    # folder with things to skip
    (HERE / "folder-with-extras").mkdir(exist_ok=True)
    w("folder-with-extras/README.md", "# inventories\n")
    w("folder-with-extras/.hidden.csv", H)
    w("folder-with-extras/~$lock.xlsx", "lock")
    w("folder-with-extras/notes.json", "{}")
    w("folder-with-extras/moj.csv", "System ID,Name\nM-1,Payroll\n")
    _workbook()


def _workbook() -> None:
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook()
    apps = book.active
    apps.title = "Applications"
    apps.append(["Department for Workbooks - application register"])
    apps.append([])
    apps.append(["System ID", "Application Name", "Annual Cost (£)", "Contract End", "Users"])
    apps.append(["WB-1", "Payroll", 12500, datetime(2027, 3, 31), 1200])
    apps.append(["WB-2", "CRM", "£1,000", "Mar-27", 30.0])
    infra = book.create_sheet("Infrastructure")
    infra.append(["ID", "Name", "Vendor"])
    infra.append(["WB-3", "Backup", "Veeam"])
    notes = book.create_sheet("Read me")
    notes.append(["This workbook lists our systems."])
    buffer = io.BytesIO()
    book.save(buffer)
    (HERE / "workbook.xlsx").write_bytes(buffer.getvalue())


if __name__ == "__main__":
    main()
