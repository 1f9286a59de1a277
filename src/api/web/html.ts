/**
 * The one way Kassa writes HTML (pages here, e-mails in src/notifications): the `html` tagged
 * template of src/domain/html.ts, which escapes every value put into it.
 */
export * from '../../domain/html';
