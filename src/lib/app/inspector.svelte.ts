import type { ApiRequest, ApiResult } from '../oauth/api.js';
import { isLoopbackHost } from '../base/http.js';
import type { CoreRuntime } from '../oauth/runtime.js';
import { isFieldpassError } from '../base/errors.js';
import { loadConnectPolicy } from '../inspect/connect-policy.js';
import { discoverServer, pushInspection, type PushedRequest } from '../inspect/flow.js';
import {
  startInspection,
  type ExplainedParameter,
  type InspectedServer,
  type InspectionAttempt,
} from '../inspect/attempt.js';
import { StepProblemError, type ConnectPolicy, type StepProblem } from '../inspect/recording.js';
import type { StepResult } from '../inspect/step.js';
import {
  createProfileStore,
  exportProfiles,
  findImportClashes,
  importProfiles,
  resolveImportClashes,
  type ClashChoice,
  type ImportClash,
  type ProfileStore,
} from '../inspect/profiles.js';
import { profileFromTemplate, sandboxProfile, scopeKindOf } from '../inspect/profile-templates.js';
import type { Profile, ProfileTemplateId } from '../inspect/profile-model.js';
import { compareRedirectUris } from '../inspect/redirect-uri.js';
import { lintRedirectUri } from '../inspect/redirect-lint.js';
import { buildScope, scopeCatalog } from '../inspect/scope-builder.js';
import { loadClientConfig } from './config.js';
import { inspectorRuntime } from './inspector-runtime.js';
import { codeMessage, EXPORT_FILE, importOutcome, plural, saveFailure } from './inspector-words.js';
import { sessionState } from './session.svelte.js';

/** The step a button started; every step button waits while one runs. */
export type InspectorStep = 'discover' | 'build' | 'push' | 'cc';

/**
 * An import waiting for the developer's choice: some of its profiles have the id of a saved one,
 * or give a saved profile's issuer other endpoints.
 */
export interface PendingImport {
  fresh: Profile[];
  clashes: ImportClash[];
  issuerConflicts: ImportClash[];
  warnings: string[];
}

/** The authorization request as built, with its PKCE pair to show. */
export interface BuiltRequest {
  url: URL;
  parameters: ExplainedParameter[];
  attempt: InspectionAttempt;
  verifier: string;
  challenge: string;
}

/** The route's own answer (its code and message), or a failure with no answer from it. */
export interface RouteProblem {
  error?: string;
  message?: string;
  status?: number;
  failure: string;
}

/** Calls Fieldpass's own server route as the signed-in user. */
export type RouteCall = (baseUrl: string, request: ApiRequest) => Promise<ApiResult<Record<string, unknown>>>;

export interface InspectorOptions {
  /** This app's origin: where the inspector's callback and its server routes are. */
  origin: string;
  /** The inspector's runtime; by default its own IndexedDB database. */
  runtime?: CoreRuntime;
  /** How the client-credentials tester calls the server route; by default as the session's user. */
  callRoute?: RouteCall;
}

/**
 * The developer inspector's state: the profile being edited and the saved ones, import and export,
 * the redirect-URI check and scope builder over the profile, the step-by-step authorization-code
 * flow (discovery, building the request, pushing it), and the client-credentials tester. The
 * inspector page and its components only bind to it and call its methods.
 */
export class Inspector {
  readonly origin: string;
  /** Where the inspector receives the server's answers. */
  readonly callbackUri: string;
  saved = $state.raw<Profile[]>([]);
  /** The profile being edited: the form edits it in place. */
  declare profile: Profile;
  /** The registered redirect URIs as typed, one a line. */
  declare registeredText: string;
  notice = $state<string | undefined>(undefined);
  problem = $state<string | undefined>(undefined);
  extraScope = $state('');
  importText = $state('');
  /** What the last import did, shown beside the import controls (they sit below the top notice). */
  importNotice = $state<string | undefined>(undefined);
  pendingImport = $state.raw<PendingImport | undefined>(undefined);
  discovery = $state.raw<StepResult<InspectedServer> | undefined>(undefined);
  request = $state.raw<BuiltRequest | undefined>(undefined);
  /** The pushed request (RFC 9126), when the server offers PAR. */
  pushed = $state.raw<StepResult<PushedRequest> | undefined>(undefined);
  /** Why the request could not be built (a form problem: nothing was stored or sent). */
  buildProblem = $state.raw<StepProblem | undefined>(undefined);
  busy = $state<InspectorStep | undefined>(undefined);
  ccResult = $state<Record<string, unknown> | undefined>(undefined);
  ccProblem = $state<RouteProblem | undefined>(undefined);

  readonly offersPar = $derived(!!this.discovery?.value?.pushed_authorization_request_endpoint);
  /** The registered redirect URIs, one a line, blank lines left out. */
  readonly registered = $derived.by(() =>
    this.registeredText
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line.trim() !== ''),
  );
  readonly findings = $derived.by(() => (this.profile.redirectUri ? lintRedirectUri(this.profile.redirectUri) : []));
  /** Errors and warnings are shown; notes (severity info) fold away, as they ask nothing of the developer. */
  readonly redirectProblems = $derived(this.findings.filter((f) => f.severity !== 'info'));
  readonly redirectNotes = $derived(this.findings.filter((f) => f.severity === 'info'));
  readonly comparison = $derived.by(() =>
    this.profile.redirectUri && this.registered.length
      ? compareRedirectUris(this.profile.redirectUri, this.registered)
      : undefined,
  );
  /** What the redirect-URI check finds wrong with the profile's URI, for the explanations to point to. */
  readonly redirectCheck = $derived.by(() => {
    const { kind, redirectUri } = this.profile;
    if (kind !== 'authorization_code' || !redirectUri) return undefined;
    if (this.comparison && !this.comparison.exactMatch)
      return `${redirectUri} matches none of the registered redirect URIs.`;
    const count = this.redirectProblems.length;
    return count ? `${count} problem${count === 1 ? '' : 's'} found with ${redirectUri}.` : undefined;
  });
  readonly scopeKind = $derived.by(() => scopeKindOf(this.profile));
  readonly catalog = $derived(scopeCatalog(this.scopeKind));
  readonly builtScope = $derived.by(() => buildScope(this.profile.scopes, { kind: this.scopeKind }));

  readonly #runtime: () => CoreRuntime;
  readonly #profiles: ProfileStore;
  readonly #callRoute: RouteCall;
  readonly #localSandbox: { issuer: string; clientId: string } | undefined;
  /** This page's connect-src, from the server: a target outside it is named before any request. */
  #connect: ConnectPolicy | undefined;
  /** Settles once `#connect` is known (or known to be unknown); every request waits for it. */
  #connectKnown: Promise<unknown> = Promise.resolve();

  constructor(options: InspectorOptions) {
    this.origin = options.origin;
    this.callbackUri = `${options.origin}/inspect/callback`;
    const runtime = options.runtime;
    this.#runtime = runtime ? () => runtime : inspectorRuntime;
    this.#profiles = createProfileStore(this.#runtime().store);
    this.#callRoute = options.callRoute ?? ((url, request) => sessionState.api<Record<string, unknown>>(url, request));
    const loaded = loadClientConfig(options.origin);
    // Only read here, never kept: not reactive state.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    if ('config' in loaded && isLoopbackHost(new URL(loaded.config.issuer).hostname)) {
      this.#localSandbox = { issuer: loaded.config.issuer, clientId: loaded.config.clientId };
    }
    const initial = this.#fromTemplate('sandbox');
    this.profile = $state(initial);
    this.registeredText = $state(initial.registeredRedirectUris.join('\n'));
  }

  /** Reads the page's connect-src and the saved profiles; run once the page is in the browser. */
  async start(): Promise<void> {
    this.#connectKnown = loadConnectPolicy(this.origin).then((policy) => (this.#connect = policy));
    this.saved = await this.#profiles.list().catch(() => []);
  }

  /** A template's profile; the sandbox template points at the sandbox this app uses, when it runs on this machine. */
  #fromTemplate(id: ProfileTemplateId): Profile {
    if (id !== 'sandbox') return profileFromTemplate(id, this.origin);
    const profile = sandboxProfile(this.origin);
    if (this.#localSandbox) {
      profile.issuer = this.#localSandbox.issuer;
      profile.clientId = this.#localSandbox.clientId;
    }
    return profile;
  }

  #snapshot(): Profile {
    return $state.snapshot(this.profile) as Profile;
  }

  /** Opens a saved profile, or a fresh one from a template, and forgets the flow of the last one. */
  choose(id: string): void {
    const existing = this.saved.find((p) => p.id === id);
    const next = existing
      ? structuredClone($state.snapshot(existing) as Profile)
      : this.#fromTemplate(id as ProfileTemplateId);
    this.profile = next;
    this.registeredText = next.registeredRedirectUris.join('\n');
    this.discovery = undefined;
    this.request = undefined;
    this.pushed = undefined;
  }

  toggleScope(scope: string, on: boolean): void {
    this.profile.scopes = on ? [...this.profile.scopes, scope] : this.profile.scopes.filter((s) => s !== scope);
  }

  /** Adds the scopes typed in `extraScope` (space-separated), each once. */
  addScope(): void {
    const more = this.extraScope.split(/\s+/).filter(Boolean);
    this.profile.scopes = [...this.profile.scopes, ...more].filter((scope, i, all) => all.indexOf(scope) === i);
    this.extraScope = '';
  }

  async save(): Promise<void> {
    this.problem = undefined;
    try {
      this.profile.registeredRedirectUris = this.registered;
      await this.#profiles.save(this.#snapshot());
      this.saved = await this.#profiles.list();
      this.importNotice = undefined;
      this.notice = `Saved “${this.profile.name}” in this browser.`;
    } catch (err) {
      this.problem = saveFailure(err);
    }
  }

  async remove(): Promise<void> {
    this.problem = undefined;
    try {
      await this.#profiles.remove(this.profile.id);
      this.saved = await this.#profiles.list();
    } catch (err) {
      console.error('The inspector could not delete a profile:', err);
      this.problem = `Not deleted: ${codeMessage(err)}`;
      return;
    }
    this.importNotice = undefined;
    this.notice = `Deleted “${this.profile.name}”.`;
  }

  /** One click, one download: the file from an object URL, through a hidden link that is clicked at once. */
  exportAll(): void {
    const list = this.saved.length ? this.saved : [this.#snapshot()];
    const url = URL.createObjectURL(new Blob([exportProfiles(list)], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = EXPORT_FILE;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    // Some browsers read the URL only after the click has returned: revoke it a little later.
    setTimeout(() => URL.revokeObjectURL(url), 40_000);
    this.importNotice = undefined;
    this.notice = this.saved.length
      ? `Exported ${plural(list.length, 'saved profile')} to ${EXPORT_FILE}.`
      : `No profile is saved yet: exported the one on screen, “${list[0].name}”, to ${EXPORT_FILE}.`;
  }

  /** Reads a profiles file; stores it at once unless some of it clashes with what is saved. */
  async importAll(text: string): Promise<void> {
    this.problem = undefined;
    this.notice = undefined;
    this.importNotice = undefined;
    this.pendingImport = undefined;
    const result = importProfiles(text);
    if ('error' in result) {
      this.problem = result.message;
      return;
    }
    const { fresh, clashes, issuerConflicts } = findImportClashes(result.profiles, this.saved);
    this.importText = '';
    if (clashes.length || issuerConflicts.length) {
      this.pendingImport = { fresh, clashes, issuerConflicts, warnings: result.warnings };
      return;
    }
    await this.storeImport(fresh, [], undefined, result.warnings);
  }

  /** Stores an import and says exactly what happened to each profile. */
  async storeImport(
    fresh: Profile[],
    clashes: ImportClash[],
    choice: ClashChoice | undefined,
    warnings: string[],
  ): Promise<void> {
    this.pendingImport = undefined;
    const resolved = choice ? resolveImportClashes(clashes, choice) : [];
    const stored: Profile[] = [];
    const failed: string[] = [];
    for (const imported of [...fresh, ...resolved]) {
      try {
        stored.push(await this.#profiles.save(imported));
      } catch (err) {
        failed.push(`“${imported.name}”: ${saveFailure(err)}`);
      }
    }
    this.saved = await this.#profiles.list();
    // The profile open in the editor was replaced: show the stored one, or "Save profile" would put the old one back.
    if (choice === 'replace' && stored.some((p) => p.id === this.profile.id)) this.choose(this.profile.id);
    this.importNotice = importOutcome({ stored, fresh, resolved, clashes, choice, warnings });
    if (failed.length) this.problem = `Not imported: ${failed.join(' ')}`;
  }

  cancelImport(): void {
    this.pendingImport = undefined;
  }

  async importFile(file: File | undefined): Promise<void> {
    if (file) await this.importAll(await file.text());
  }

  /** Step 1: the server's metadata, or the endpoints entered by hand. */
  async discover(): Promise<void> {
    this.busy = 'discover';
    this.request = undefined;
    this.buildProblem = undefined;
    this.pushed = undefined;
    await this.#connectKnown;
    this.discovery = await discoverServer(this.#snapshot(), this.#connect);
    this.busy = undefined;
  }

  /** Step 2: the authorization request, its attempt stored for the callback. */
  async build(): Promise<void> {
    if (!this.discovery?.value) return;
    this.busy = 'build';
    this.buildProblem = undefined;
    try {
      const { url, parameters, attempt } = await startInspection(
        this.#snapshot(),
        this.discovery.value,
        this.#runtime(),
      );
      this.request = { url, parameters, attempt, verifier: attempt.code_verifier, challenge: attempt.code_challenge };
    } catch (err) {
      this.request = undefined;
      if (err instanceof StepProblemError) this.buildProblem = err.problem;
      else {
        console.error('The inspector could not build the request:', err);
        this.problem = `The request was not built: ${codeMessage(err)}`;
      }
    } finally {
      this.pushed = undefined;
      this.busy = undefined;
    }
  }

  /** Step 3 where the server offers PAR: the request pushed to it (RFC 9126). */
  async push(): Promise<void> {
    if (!this.request) return;
    this.busy = 'push';
    await this.#connectKnown;
    this.pushed = await pushInspection(this.request.attempt, this.request.parameters, this.#runtime(), this.#connect);
    this.busy = undefined;
  }

  /** The client-credentials tester: a token request through the server route, which holds the secret. */
  async testClientCredentials(): Promise<void> {
    const provider = this.profile.m2mProvider;
    if (!provider) return;
    this.busy = 'cc';
    this.ccProblem = undefined;
    try {
      this.ccResult = (
        await this.#callRoute(`${this.origin}/api/m2m-token`, {
          path: `/${encodeURIComponent(provider)}`,
          method: 'POST',
        })
      ).body;
    } catch (err) {
      this.ccResult = undefined;
      const details = isFieldpassError(err) ? err.details : {};
      this.ccProblem = {
        error: details.error,
        message: details.description,
        status: details.status,
        failure: codeMessage(err),
      };
    } finally {
      this.busy = undefined;
    }
  }
}
