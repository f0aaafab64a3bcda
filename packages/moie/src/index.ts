export { DomainDiscriminator, type DomainDiscriminatorConfig, type DomainLossOutput } from './discriminator';
export { Expert, Router, type ExpertConfig, type RouterConfig } from './experts';
export { dannLambda, gradientReversal } from './grl';
export {
  MOIE_DEFAULTS,
  MixtureOfInvariantExperts,
  expertUsage,
  type MixtureOfInvariantExpertsConfig,
  type MoieOutput,
} from './moie';
