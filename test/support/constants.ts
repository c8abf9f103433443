export const TEMPLATE_DATABASE = 'billing_template';
