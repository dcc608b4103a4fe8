import { useState } from 'react';
import { Text } from 'react-native';
import { apiClient } from '../../api/client';
import { useAuthStore } from '../../stores/auth';
import { useOfflineStore } from '../../stores/offline';
import { Button, Screen, styles } from '../../components/ui';

export default function HomeScreen() {
  const user = useAuthStore((state) => state.user);
  const isOnline = useOfflineStore((state) => state.isOnline);
  const [answer, setAnswer] = useState<string | null>(null);

  // An authenticated call through the app's axios instance: attachAxios adds the token (refreshed when due).
  const callApi = async () => {
    try {
      const { data } = await apiClient.get<{ email: string; role: string }>('/api/v1/auth/me');
      setAnswer(`The API says: ${data.email} (${data.role})`);
    } catch (err) {
      setAnswer(`The API call failed: ${(err as { code?: string }).code ?? String(err)}`);
    }
  };

  return (
    <Screen>
      <Text style={styles.title}>Welcome to Cat House</Text>
      <Text style={styles.text} testID="signed-in-as">
        Signed in as {user?.name ?? user?.email}
      </Text>
      <Text style={styles.text} testID="online">
        {isOnline ? 'Online' : 'Offline'}
      </Text>
      <Button title="Call the API" testID="call-api" onPress={callApi} />
      {answer ? (
        <Text style={styles.text} testID="api-answer">
          {answer}
        </Text>
      ) : null}
    </Screen>
  );
}
