"""Attachments of a case (R5): photos, short videos and documents, kept in the database so every
web worker serves every file without shared disks."""
