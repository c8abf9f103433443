// Luxon's strict settings for every entry point (daemon, CLI, dev stack, benchmarks) and the
// tests, so production runs under the settings the tests prove: a DateTime that silently became
// invalid (a bad zone, an impossible date) throws where it is made instead of travelling on as
// "Invalid DateTime", and a DateTime made without an explicit zone is UTC, never the host's zone.
// Imported for its effect, first, by each entry point.
import { Settings } from 'luxon';

Settings.defaultZone = 'utc';
Settings.throwOnInvalid = true;
