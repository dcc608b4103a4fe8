import axios, { AxiosError, AxiosRequestConfig } from 'axios';
import { attachAxios } from '@cathouse/auth-browser';
import { useOfflineStore } from '../stores/offline';
import { auth } from './auth-client';
import { API_URL } from './config';

// Create Axios instance
export const apiClient = axios.create({
  baseURL: API_URL,
  timeout: 30000, // 30 seconds
  headers: {
    'Content-Type': 'application/json',
  },
});

// The Bearer token on every request while signed in (signed out, requests go as they are); after a
// 401 one refresh shared by every request and tab, and one retry. Attached first, so the offline
// interceptor below sees what is left: network failures (also of a refresh) and other errors.
attachAxios(auth, apiClient);

// Offline detection and the queue of mutations, as before.
apiClient.interceptors.response.use(
  (response) => response,
  async (error: AxiosError) => {
    const originalRequest = error.config as AxiosRequestConfig;

    // Handle network errors (offline)
    if (!error.response) {
      useOfflineStore.getState().setOnlineStatus(false);

      // Queue the request for later (if it's a mutation)
      if (originalRequest?.method && ['post', 'put', 'patch', 'delete'].includes(originalRequest.method.toLowerCase())) {
        useOfflineStore.getState().addPendingAction({
          type: originalRequest.method === 'delete' ? 'delete' : 'create',
          resource: originalRequest.url || '',
          payload: originalRequest.data,
        });
      }
    } else {
      useOfflineStore.getState().setOnlineStatus(true);
    }

    return Promise.reject(error);
  },
);

export default apiClient;
