// Package checkout is the domain of the hosted checkout: merchants, checkout
// sessions, payments and their status machine, money, card validation, the
// Provider contract every payment provider adapter implements, the Store
// contract the database implements, and the Service that orchestrates a
// payment from the card form to a final, server-confirmed outcome.
//
// It imports no package of this module; SQL lives in checkout/sqlstore and
// provider wire formats live in providers/*.
package checkout
