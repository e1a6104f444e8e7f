// Limits shared by the API and the page (no dependencies: the page's bundle imports this file).

/** The longest dispute reason stored, in UTF-8 bytes: the page refuses longer ones before anything is signed. */
export const MAX_REASON_BYTES = 1000;
