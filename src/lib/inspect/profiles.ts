// Inspector profiles: what the developer tells the inspector about an authorization server and a
// client, with templates for the providers Fieldpass knows, JSON export/import, and a store over
// the app's RecordStore. A profile never holds a secret: client secrets stay in the server
// configuration of the client-credentials route (checklist #64, #81). Framework-free.
//
// The profile itself is in profile-model.ts, the templates in profile-templates.ts and the
// validation in profile-validation.ts; this module holds files and storage.

import { FieldpassError } from '../base/errors.js';
import type { RecordStore } from '../base/record-store.js';
import { PROFILE_ID, PROFILE_LIMITS, newProfileId, type Profile } from './profile-model.js';
import {
  PROFILE_FIELDS,
  SECRETS_NEVER_IMPORTED,
  findIssuerConflict,
  label,
  looksLikeSecretName,
  looksLikeSecretValue,
  validateProfile,
  type ProfileIssue,
} from './profile-validation.js';

// ---------------------------------------------------------------------------------------------
// Export and import

export const PROFILES_FORMAT = 'fieldpass-profiles';
export const PROFILES_VERSION = 1;

/**
 * Profiles as a JSON file (`format: 'fieldpass-profiles'`, `version: 1`). Every profile is rebuilt
 * from the allow-listed fields by `validateProfile`, so nothing a caller added — a client secret,
 * a token — can be in the file (checklist #64); a profile that does not validate is left out.
 */
export function exportProfiles(profiles: readonly Profile[]): string {
  const clean = profiles.flatMap((p) => {
    const checked = validateProfile(p);
    return 'profile' in checked ? [checked.profile] : [];
  });
  return JSON.stringify({ format: PROFILES_FORMAT, version: PROFILES_VERSION, profiles: clean }, null, 2);
}

/** Why a whole file was refused. */
export type ImportErrorCode = 'TOO_LARGE' | 'NOT_JSON' | 'WRONG_FORMAT' | 'UNSUPPORTED_VERSION' | 'TOO_MANY';

export type ImportResult =
  { profiles: Profile[]; warnings: string[]; issues: ProfileIssue[] } | { error: ImportErrorCode; message: string };

/**
 * Reads a file written by `exportProfiles`, treating it as hostile. Refuses the file when it is
 * over 256 KB, not JSON, not this format or version, or holds more than 50 profiles. Inside, each
 * profile goes through `validateProfile`: unknown fields are dropped with a warning, anything
 * that looks like a secret is dropped with the warning SECRETS_NEVER_IMPORTED, and bad profiles are
 * left out. Repeated ids get new ones. `warnings` are `issues`' messages, for display as text.
 */
export function importProfiles(json: string): ImportResult {
  if (typeof json !== 'string') return { error: 'NOT_JSON', message: 'The file is not text.' };
  if (json.length > PROFILE_LIMITS.importChars) {
    return { error: 'TOO_LARGE', message: `The file is larger than ${PROFILE_LIMITS.importChars / 1024} KB.` };
  }
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { error: 'NOT_JSON', message: 'The file is not valid JSON.' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { error: 'WRONG_FORMAT', message: 'The file is not a Fieldpass profiles file.' };
  }
  const file = data as Record<string, unknown>;
  if (file.format !== PROFILES_FORMAT || !Array.isArray(file.profiles)) {
    return { error: 'WRONG_FORMAT', message: 'The file is not a Fieldpass profiles file.' };
  }
  if (file.version !== PROFILES_VERSION) {
    return { error: 'UNSUPPORTED_VERSION', message: `Only version ${PROFILES_VERSION} profile files can be read.` };
  }
  if (file.profiles.length > PROFILE_LIMITS.profiles) {
    return { error: 'TOO_MANY', message: `The file has more than ${PROFILE_LIMITS.profiles} profiles.` };
  }

  const issues: ProfileIssue[] = [];
  for (const key of Object.keys(file)) {
    if (key === 'format' || key === 'version' || key === 'profiles') continue;
    if (looksLikeSecretName(key) || looksLikeSecretValue(file[key])) {
      issues.push({
        code: 'SECRET_DROPPED',
        field: key,
        message: `Dropped "${label(key)}": ${SECRETS_NEVER_IMPORTED}.`,
      });
    } else {
      issues.push({
        code: 'UNKNOWN_MEMBER',
        field: key,
        message: `Ignored "${label(key)}", which is not part of the file format.`,
      });
    }
  }

  const profiles: Profile[] = [];
  for (const entry of file.profiles) {
    const checked = validateProfile(entry);
    issues.push(...checked.issues);
    if (!('profile' in checked)) continue;
    const { profile } = checked;
    if (profiles.some((p) => p.id === profile.id)) {
      profile.id = newProfileId();
      issues.push({
        code: 'ID_REPLACED',
        field: 'id',
        message: `Profile "${label(profile.name)}" had the id of another profile in the file and got a new one.`,
      });
    }
    const conflict = findIssuerConflict(profiles, profile);
    if (conflict) {
      issues.push({
        code: 'ISSUER_CONFLICT',
        field: 'issuer',
        message: `Profiles "${label(conflict.name)}" and "${label(profile.name)}" give the issuer ${label(profile.issuer ?? '', 200)} different endpoints; an issuer belongs to one server, so check which is right.`,
      });
    }
    profiles.push(profile);
  }
  return { profiles, warnings: [...new Set(issues.map((i) => i.message))], issues };
}

// ---------------------------------------------------------------------------------------------
// Storage

/** Profiles are kept as `profile:<id>` records in the app's RecordStore (IndexedDB in the browser). */
export const PROFILE_KEY_PREFIX = 'profile:';

/** Saved profiles. */
export interface ProfileStore {
  /** Every stored profile that still validates, sorted by name. */
  list(): Promise<Profile[]>;
  /**
   * Validates and stores a profile, rebuilt from the allow-listed fields (so no secret is ever
   * written), and returns what was stored. Throws `CONFIG_INVALID` naming the field
   * (`details.variable`) when a field fails its rule, or when 50 profiles are already stored.
   */
  save(profile: Profile): Promise<Profile>;
  remove(id: string): Promise<void>;
}

/** A ProfileStore over a RecordStore; tests pass `createMemoryStore()`. */
export function createProfileStore(store: RecordStore): ProfileStore {
  const keyOf = (id: string) => `${PROFILE_KEY_PREFIX}${id}`;
  const ids = async () =>
    (await store.keys()).filter((k) => k.startsWith(PROFILE_KEY_PREFIX)).map((k) => k.slice(PROFILE_KEY_PREFIX.length));

  return {
    async list() {
      const profiles: Profile[] = [];
      for (const id of await ids()) {
        const checked = validateProfile(await store.get(keyOf(id)));
        // A record that no longer validates (written by a broken build, or edited by hand) is not shown.
        if ('profile' in checked && checked.profile.id === id) profiles.push(checked.profile);
      }
      return profiles.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    },

    async save(profile) {
      if (typeof profile?.id !== 'string' || !PROFILE_ID.test(profile.id)) {
        throw new FieldpassError('CONFIG_INVALID', 'The profile has no valid id.', { variable: 'id' });
      }
      const checked = validateProfile(profile);
      if (!('profile' in checked)) {
        throw new FieldpassError('CONFIG_INVALID', checked.error.message, { variable: checked.error.field });
      }
      // A bad value in a field the profile has is an error to show; unknown fields (UI state, a
      // smuggled secret) are simply not stored.
      const bad = checked.issues.find(
        (i) =>
          i.code === 'INVALID_FIELD' ||
          (i.code === 'SECRET_DROPPED' && PROFILE_FIELDS.has((i.field ?? '').replace(/[.[].*$/, ''))),
      );
      if (bad) throw new FieldpassError('CONFIG_INVALID', bad.message, { variable: bad.field });
      const existing = await ids();
      if (!existing.includes(profile.id) && existing.length >= PROFILE_LIMITS.profiles) {
        throw new FieldpassError('CONFIG_INVALID', `At most ${PROFILE_LIMITS.profiles} profiles can be saved.`);
      }
      await store.set(keyOf(checked.profile.id), checked.profile);
      return checked.profile;
    },

    async remove(id) {
      if (typeof id === 'string' && PROFILE_ID.test(id)) await store.del(keyOf(id));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Importing beside saved profiles

/** An imported profile whose id is already saved in this browser. */
export interface ImportClash {
  imported: Profile;
  saved: Profile;
}

/** What to do with imported profiles whose id is already saved: overwrite, or store them beside. */
export type ClashChoice = 'replace' | 'keep-both';

/**
 * Splits imported profiles into those with a new id and those whose id is already saved, and
 * finds each imported profile that gives a saved profile's issuer other endpoints (checklist #2:
 * an issuer belongs to one server), whichever the developer then chooses for the id.
 */
export function findImportClashes(
  imported: readonly Profile[],
  saved: readonly Profile[],
): { fresh: Profile[]; clashes: ImportClash[]; issuerConflicts: ImportClash[] } {
  const byId = new Map(saved.map((p) => [p.id, p]));
  const fresh: Profile[] = [];
  const clashes: ImportClash[] = [];
  const issuerConflicts: ImportClash[] = [];
  for (const profile of imported) {
    const existing = byId.get(profile.id);
    if (existing) clashes.push({ imported: profile, saved: existing });
    else fresh.push(profile);
    // Kept beside it, the imported profile would conflict with the one of its own id too.
    const conflict = findIssuerConflict(saved, { ...profile, id: '' });
    if (conflict) issuerConflicts.push({ imported: profile, saved: conflict });
  }
  return { fresh, clashes, issuerConflicts };
}

/**
 * The profiles to store for the clashes: with `replace`, the imported ones as they are (each
 * overwrites the saved one); with `keep-both`, each under a new id, named "(imported)" when its
 * name is the saved one's, so the two can be told apart.
 */
export function resolveImportClashes(clashes: readonly ImportClash[], choice: ClashChoice): Profile[] {
  if (choice === 'replace') return clashes.map((c) => c.imported);
  return clashes.map(({ imported, saved }) => {
    const suffix = ' (imported)';
    const name =
      imported.name === saved.name && imported.name.length + suffix.length <= PROFILE_LIMITS.name
        ? `${imported.name}${suffix}`
        : imported.name;
    return { ...imported, id: newProfileId(), name };
  });
}
