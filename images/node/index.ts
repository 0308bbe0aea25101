/** The reference node image: node/ and proto/ on the runtime image. */
export { node, nodeDockerfile } from './recipe.ts';
