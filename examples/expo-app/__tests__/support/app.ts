import { startFakeAuthService, type FakeAuthService } from './fake-auth-service';

export type AppModules = {
  auth: typeof import('../../api/auth-client').auth;
  apiClient: typeof import('../../api/client').apiClient;
  authService: typeof import('../../api/services/auth').authService;
  useAuthStore: typeof import('../../stores/auth').useAuthStore;
  useOfflineStore: typeof import('../../stores/offline').useOfflineStore;
};

/**
 * Starts the fake service and loads the app's modules pointed at it (EXPO_PUBLIC_API_URL is read
 * when api/config.ts loads, so the modules are required after it is set). `relaunch` loads them
 * again on the same localStorage, as a reload of the page does.
 */
export async function startApp(): Promise<{ fake: FakeAuthService; app: AppModules; relaunch(): AppModules }> {
  const fake = await startFakeAuthService();
  process.env.EXPO_PUBLIC_API_URL = fake.url;
  const load = (): AppModules => ({
    auth: require('../../api/auth-client').auth,
    apiClient: require('../../api/client').apiClient,
    authService: require('../../api/services/auth').authService,
    useAuthStore: require('../../stores/auth').useAuthStore,
    useOfflineStore: require('../../stores/offline').useOfflineStore,
  });
  return {
    fake,
    app: load(),
    relaunch: () => {
      jest.resetModules();
      return load();
    },
  };
}

let counter = 0;
export const newEmail = () => `mia-${++counter}-${Date.now().toString(36)}@cathouse.example`;
export const PASSWORD = 'correct horse battery staple';
