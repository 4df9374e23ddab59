/** The production confirmation: a human types the environment name, or CI passes --yes deliberately. */
import * as readline from 'readline';
import type { EnvironmentConfig } from '@optibid/constructs-lib';
import type { DeployOptions } from './args';

/** Only a mutating run on the production tier asks; --plan-only changes nothing and never asks. */
export function needsConfirmation(config: EnvironmentConfig, options: DeployOptions): boolean {
  return config.tier === 'production' && !options.yes && !options.planOnly;
}

export function confirmationQuestion(envName: string): string {
  return `Deploy to ${envName}? type the environment name to continue: `;
}

export async function askToConfirm(envName: string, prompt: (question: string) => Promise<string>): Promise<boolean> {
  const answer = await prompt(confirmationQuestion(envName));
  return answer.trim() === envName;
}

/** Reads one line from the terminal. */
export function terminalPrompt(question: string): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => {
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    // Ctrl-D / closed terminal: an empty answer, i.e. refused.
    rl.on('close', () => {
      if (!answered) resolve('');
    });
  });
}
