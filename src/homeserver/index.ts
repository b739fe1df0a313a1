export {
  createSynapseClient,
  sharedSecretMac,
  unknowablePassword,
  type Availability,
  type CreateUserFields,
  type HomeserverClient,
  type LoginResult,
  type RegistrationToken,
  type SharedSecretResult,
  type SynapseClientOptions,
  type SynapseUser,
  type TokenRegisterResult,
} from "./synapse.client.ts";
