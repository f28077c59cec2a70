export interface Product {
  id: number;
  title: string;
  descriptionHtml: string;
}

/** The store's catalogue: one play. */
export const products: Product[] = [
  {
    id: 0,
    title: 'The Comedy of Errors',
    descriptionHtml:
      '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: ' +
      'Two sets of identical twins, parted at birth, land in the same city on the same day. ' +
      'Wives, servants and merchants mistake one twin for the other, and a day of beatings, ' +
      'arrests and wrong dinners follows until the family is found whole again.',
  },
];
