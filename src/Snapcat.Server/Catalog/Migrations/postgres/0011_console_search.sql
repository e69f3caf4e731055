-- The web console's catalog search pages by keyset (time_us, id) newest first (BackupDataStore.SearchPageAsync):
-- every filter needs an index that ends in time_us, or one page of 1,000,000 rows sorts them all.
-- host, mount_point and label have theirs (0001); these cover host alone, kind, device and definition.
CREATE INDEX backup_data_host_only_time ON backup_data (host, time_us);
CREATE INDEX backup_data_kind_time ON backup_data (kind, time_us);
CREATE INDEX backup_data_device_time ON backup_data (device_id, time_us);
CREATE INDEX backup_data_definition_time ON backup_data (definition, time_us);
CREATE INDEX backup_data_time_id ON backup_data (time_us, id);
