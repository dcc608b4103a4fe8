import type { DeviceSession } from '@cathouse/auth-browser';
import { useState } from 'react';
import { Text } from 'react-native';
import { auth } from '../../api/auth-client';
import { authService } from '../../api/services/auth';
import { useAuthStore } from '../../stores/auth';
import { Button, Field, Screen, styles } from '../../components/ui';

export default function ProfileScreen() {
  const user = useAuthStore((state) => state.user);
  const logout = useAuthStore((state) => state.logout);
  const [name, setName] = useState(user?.name ?? '');
  const [sessions, setSessions] = useState<DeviceSession[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const attempt = (action: () => Promise<unknown>) => () => {
    setMessage(null);
    action().catch((err: { code?: string; message?: string }) => setMessage(`${err.code ?? 'error'}: ${err.message ?? ''}`));
  };

  return (
    <Screen>
      <Text style={styles.title}>Account Information</Text>
      <Text style={styles.text} testID="profile-email">
        {user?.email}
      </Text>
      <Text style={styles.text} testID="profile-role">
        Role: {user?.role}, email {user?.emailVerified ? 'verified' : 'not verified'}
      </Text>
      <Field label="Name" testID="profile-name" value={name} onChangeText={setName} />
      <Button title="Save name" testID="save-name" onPress={attempt(() => authService.account.updateProfile({ name: name || null }))} />
      <Button title="Show my devices" testID="list-sessions" onPress={attempt(async () => setSessions(await authService.account.listSessions()))} />
      {sessions?.map((session) => (
        <Text style={styles.text} key={session.id} testID="session">
          {session.device}
          {session.current ? ' (this device)' : ''}
        </Text>
      ))}
      <Button title="Log out other devices" testID="logout-others" onPress={attempt(() => auth.logout({ scope: 'others' }))} />
      <Button title="Log out" testID="logout" onPress={attempt(logout)} />
      {message ? <Text style={styles.error}>{message}</Text> : null}
    </Screen>
  );
}
