-- Alert rules name the metric they watch by its catalogue name (intel/metrics.py); two had their
-- own names before the catalogue. push_count kept its name (it is now a catalogue entry too).
UPDATE alert_rules SET metric = 'attainment' WHERE metric = 'bookings_vs_target';
UPDATE alert_rules SET metric = 'competitor_presence_in_losses' WHERE metric = 'competitor_loss_share';
