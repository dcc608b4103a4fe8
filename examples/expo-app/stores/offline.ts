import { create } from 'zustand';
import { persist, createJSONStorage } from 'zustand/middleware';

export interface PendingAction {
  id: string;
  type: 'create' | 'update' | 'delete';
  resource: string;
  payload: unknown;
  timestamp: Date;
  retries: number;
}

interface OfflineState {
  isOnline: boolean;
  pendingActions: PendingAction[];

  addPendingAction: (action: Omit<PendingAction, 'id' | 'timestamp' | 'retries'>) => void;
  removePendingAction: (id: string) => void;
  setOnlineStatus: (status: boolean) => void;
  clearPendingActions: () => void;
}

// The frontend's offline queue (its stores/offline.ts, trimmed to what the example shows).
export const useOfflineStore = create<OfflineState>()(
  persist(
    (set) => ({
      isOnline: true,
      pendingActions: [],

      addPendingAction: (action) => {
        const newAction: PendingAction = {
          ...action,
          id: `${Date.now()}-${Math.random().toString(36).slice(2, 11)}`,
          timestamp: new Date(),
          retries: 0,
        };
        set((state) => ({ pendingActions: [...state.pendingActions, newAction] }));
      },

      removePendingAction: (id) => {
        set((state) => ({ pendingActions: state.pendingActions.filter((action) => action.id !== id) }));
      },

      setOnlineStatus: (status) => {
        set({ isOnline: status });
      },

      clearPendingActions: () => {
        set({ pendingActions: [] });
      },
    }),
    { name: 'offline-storage', storage: createJSONStorage(() => localStorage) },
  ),
);
