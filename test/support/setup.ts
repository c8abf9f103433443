// Tests run under the same Luxon settings as every entry point of the product.
import '../../config/luxon-strict.js';
