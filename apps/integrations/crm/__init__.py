"""CRM sync (amoCRM, Bitrix24): a connection per company, leads pushed as contacts + deals,
deal stages and lead statuses kept in step both ways (last change wins)."""
