import { AuthError } from '@cathouse/auth-browser';
import { Redirect, router } from 'expo-router';
import { useState } from 'react';
import { Text } from 'react-native';
import { authService } from '../api/services/auth';
import { useAuthStore } from '../stores/auth';
import { Button, Field, Screen, styles } from '../components/ui';

/** The app had no login screen: this one signs in or creates an account through authService. */
export default function LoginScreen() {
  const isAuthenticated = useAuthStore((state) => state.isAuthenticated);
  const signOutReason = useAuthStore((state) => state.signOutReason);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);

  // Signed in here or in another tab: on to the app.
  if (isAuthenticated) return <Redirect href="/" />;

  const run = (action: () => Promise<unknown>) => async () => {
    setError(null);
    try {
      await action();
      router.replace('/');
    } catch (err) {
      // AuthError carries the API's code: invalid_credentials, email_taken, weak_password, rate_limited, network_error...
      setError(err instanceof AuthError ? `${err.code}: ${err.message}` : String(err));
    }
  };

  return (
    <Screen>
      {signOutReason === 'session_ended' ? <Text style={styles.text}>Your session ended: please sign in again.</Text> : null}
      <Field label="Email" testID="email" value={email} onChangeText={setEmail} keyboardType="email-address" />
      <Field label="Password" testID="password" value={password} onChangeText={setPassword} secureTextEntry />
      <Field label="Name (new accounts)" testID="name" value={name} onChangeText={setName} />
      <Button title="Log in" testID="login" onPress={run(() => authService.login({ email, password }))} />
      <Button title="Create account" testID="register" onPress={run(() => authService.register({ email, password, name: name || undefined }))} />
      {error ? (
        <Text style={styles.error} testID="error">
          {error}
        </Text>
      ) : null}
    </Screen>
  );
}
