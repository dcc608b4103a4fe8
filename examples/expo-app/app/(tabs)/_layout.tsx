import { Redirect, Tabs } from 'expo-router';
import { ActivityIndicator } from 'react-native';
import { useAuthStore } from '../../stores/auth';

export default function TabLayout() {
  const status = useAuthStore((state) => state.status);
  // `loading` only until the stored session is read (no request): a spinner for that moment.
  if (status === 'loading') return <ActivityIndicator testID="loading" />;
  if (status === 'signedOut') return <Redirect href="/login" />;
  return (
    // No tab icons: the default one needs an icon font the example does not ship.
    <Tabs screenOptions={{ headerShown: true, tabBarStyle: { backgroundColor: '#f8f9fa' }, tabBarIcon: () => null }}>
      <Tabs.Screen name="index" options={{ title: 'Home', headerTitle: 'Cat House Dashboard' }} />
      <Tabs.Screen name="profile" options={{ title: 'Profile', headerTitle: 'My Profile' }} />
    </Tabs>
  );
}
