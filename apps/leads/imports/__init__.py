"""File import of leads: CSV/XLSX reading with encoding detection, column mapping, a Celery task
that feeds the rows to `ingest_leads` in chunks, and a CSV report of the rejected rows.

    reader.py    bytes → headers and rows (utf-8, utf-8-sig, cp1251; ; , tab | delimiters; XLSX)
    mapping.py   lead fields, guessing them from column names (ru/en), row → ingestion item
    services.py  create a job from an upload, start it with a mapping, read jobs
    runner.py    process a job (resumable, chunked), write the report
    tasks.py     import_leads_task
"""
