/** The runtime image: Node 24 and the npm packages the node and hub run with, as an unprivileged user. */
export { runtime, UID, USER } from './recipe.ts';
