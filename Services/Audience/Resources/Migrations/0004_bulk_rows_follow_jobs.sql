-- A bulk job's staged rows, outcome and row errors go with the job: the runtime's upkeep
-- deletes succeeded jobs after 30 days, and nothing else would ever delete these rows.
ALTER TABLE bulk_attribute_rows ADD FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
ALTER TABLE bulk_job_outcomes ADD FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
ALTER TABLE bulk_job_errors ADD FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE;
