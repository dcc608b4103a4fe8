export { SnakeNamingStrategy } from './snake-naming-strategy';
