/** The context key under which the app's layout offers its sign-out (with the unsent-work guard). */
export const SIGN_OUT = Symbol('sign-out');

/** The layout's sign-out, as pages call it. */
export type SignOut = () => Promise<void>;
