import type { ReactNode } from 'react';
import { Pressable, StyleSheet, Text, TextInput, View, type TextInputProps } from 'react-native';

// The few plain pieces the screens share (the real app styles them with Tamagui).

export function Screen({ children }: { children: ReactNode }) {
  return <View style={styles.screen}>{children}</View>;
}

export function Button({ title, onPress, testID }: { title: string; onPress: () => void; testID: string }) {
  return (
    <Pressable accessibilityRole="button" onPress={onPress} testID={testID} style={styles.button}>
      <Text style={styles.buttonText}>{title}</Text>
    </Pressable>
  );
}

export function Field(props: TextInputProps & { label: string; testID: string }) {
  return (
    <View style={styles.field}>
      <Text style={styles.label}>{props.label}</Text>
      <TextInput {...props} accessibilityLabel={props.label} style={styles.input} autoCapitalize="none" />
    </View>
  );
}

export const styles = StyleSheet.create({
  screen: { flex: 1, padding: 24, gap: 12, backgroundColor: '#fffaf3' },
  title: { fontSize: 24, fontWeight: 'bold' },
  text: { fontSize: 16 },
  error: { fontSize: 16, color: '#b00020' },
  field: { gap: 4 },
  label: { fontSize: 14, color: '#555' },
  input: { borderWidth: 1, borderColor: '#bbb', borderRadius: 6, padding: 8, fontSize: 16, backgroundColor: 'white' },
  button: { backgroundColor: '#7a4b2a', borderRadius: 6, paddingVertical: 10, paddingHorizontal: 16, alignSelf: 'flex-start' },
  buttonText: { color: 'white', fontSize: 16 },
});
