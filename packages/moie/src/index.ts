export { DomainDiscriminator, type DomainDiscriminatorConfig } from './discriminator';
export { Expert, Router, type ExpertConfig, type RouterConfig } from './experts';
export { gradientReversal } from './grl';
export {
  MOIE_DEFAULTS,
  MixtureOfInvariantExperts,
  expertUsage,
  type MixtureOfInvariantExpertsConfig,
  type MoieOutput,
} from './moie';
