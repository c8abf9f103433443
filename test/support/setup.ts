import { Settings } from 'luxon';

// Every DateTime in the product carries an explicit zone; tests fail loudly when one does not.
Settings.defaultZone = 'utc';
Settings.throwOnInvalid = true;
