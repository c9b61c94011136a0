import { asFieldpassError } from '../base/errors.js';
import type { ClashChoice, ImportClash } from '../inspect/profiles.js';
import type { Profile } from '../inspect/profile-model.js';
import { messageFor } from './messages.js';

/** The name of the file "Export profiles" downloads. */
export const EXPORT_FILE = 'fieldpass-profiles.json';

/** "1 profile", "2 profiles". */
export function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** The profiles' names, each in quotes, separated by commas. */
export function names(list: Profile[]): string {
  return list.map((p) => `“${p.name}”`).join(', ');
}

/** The hand-written message for a failure's code, as one line: its title, then what to do. */
export function codeMessage(err: unknown): string {
  const { title, text } = messageFor(asFieldpassError(err));
  return `${title}. ${text}`;
}

/**
 * Why a profile was not stored. A field that fails its rule (CONFIG_INVALID) is a form mistake,
 * told in the words of the check that found it; anything else gets the message for its code, and
 * the original goes to the console, never into the page.
 */
export function saveFailure(err: unknown): string {
  const error = asFieldpassError(err);
  if (error.code === 'CONFIG_INVALID') return error.message;
  console.error('The inspector could not store a profile:', err);
  return codeMessage(error);
}

/** What an import did to each profile, or that it stored nothing; the import's warnings follow. */
export function importOutcome(outcome: {
  stored: Profile[];
  fresh: Profile[];
  resolved: Profile[];
  clashes: ImportClash[];
  choice: ClashChoice | undefined;
  warnings: string[];
}): string {
  const { stored, fresh, resolved, clashes, choice, warnings } = outcome;
  const added = stored.filter((p) => fresh.some((f) => f.id === p.id));
  const fromClashes = stored.filter((p) => resolved.some((r) => r.id === p.id));
  const parts: string[] = [];
  if (added.length) parts.push(`added ${plural(added.length, 'new profile')} (${names(added)})`);
  if (fromClashes.length && choice === 'replace')
    parts.push(`replaced ${names(clashes.map((c) => c.saved))} with the imported ${names(fromClashes)}`);
  if (fromClashes.length && choice === 'keep-both') {
    parts.push(
      `kept the saved ${names(clashes.map((c) => c.saved))} and added the imported ${fromClashes.length === 1 ? 'one beside it' : 'ones beside them'} as ${names(fromClashes)}`,
    );
  }
  if (!choice && clashes.length) parts.push(`left ${names(clashes.map((c) => c.saved))} as saved`);
  return `${parts.length ? `Import: ${parts.join('; ')}.` : 'Import: nothing was stored.'}${
    warnings.length ? ` ${warnings.join(' ')}` : ''
  }`;
}

/** The heading of the question an import with clashes asks. */
export function clashHeading(clashes: ImportClash[], issuerConflicts: ImportClash[]): string {
  return clashes.length === 1
    ? 'A profile in the file is already saved here'
    : clashes.length
      ? `${clashes.length} profiles in the file are already saved here`
      : issuerConflicts.length === 1
        ? 'A profile in the file gives a saved issuer other endpoints'
        : `${issuerConflicts.length} profiles in the file give a saved issuer other endpoints`;
}
