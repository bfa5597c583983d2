-- description: No event is later than now (UTC); future timestamps usually mean a wrong time zone or epoch unit at import.
-- severity: warn
-- model: stg_events
-- Reads raw.events directly: the check needs no sessions. now() is converted to naive UTC.
select event_id, event_time, _batch_id, _source_file
from raw.events
where event_time > make_timestamp(epoch_us(now()))
