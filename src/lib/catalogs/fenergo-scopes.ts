// The Fenergo API scope catalog (fenergo-api-scopes.txt, "Full List of Available Scopes"), as data.
// Generated from the document; a configured scope not in this list is reported at start-up.

/** One Fenergo scope: its id, display name and description. */
export interface FenergoScope {
  scope: string;
  name: string;
  description: string;
}

export const FENERGO_SCOPES: readonly FenergoScope[] = [
  { scope: 'fenx.agents.read', name: 'Fen-X AI Agents API Read', description: 'Gives read access to AI Agent models' },
  {
    scope: 'fenx.agents.write',
    name: 'Fen-X AI Agents API Write',
    description: 'Gives write access to AI Agent models',
  },
  {
    scope: 'fenx.association.read',
    name: 'Fen-X Association API Read',
    description: 'Gives read access to Associations',
  },
  {
    scope: 'fenx.association.write',
    name: 'Fen-X Association API Write',
    description: 'Gives write access to Associations',
  },
  { scope: 'fenx.audit.read', name: 'Fen-X Audit API Read', description: 'Gives read access to Audit' },
  {
    scope: 'fenx.authorization.read',
    name: 'Fen-X Authorization API Read',
    description: 'Gives read access to Authorization',
  },
  {
    scope: 'fenx.authorization.write',
    name: 'Fen-X Authorization API Write',
    description: 'Gives write access to Authorization',
  },
  { scope: 'fenx.bulkload.read', name: 'Fen-X Bulk Load API Read', description: 'Gives read access to Bulk Load' },
  { scope: 'fenx.bulkload.write', name: 'Fen-X Bulk Load API Write', description: 'Gives write access to Bulk Load' },
  {
    scope: 'fenx.businessmetrics.read',
    name: 'Fen-X Business Metrics API Read',
    description: 'Gives read access to Business Metrics',
  },
  {
    scope: 'fenx.businessmetrics.write',
    name: 'Fen-X Business Metrics API Write',
    description: 'Gives write access to Business Metrics',
  },
  {
    scope: 'fenx.changemanagement.read',
    name: 'Fen-X Change Management API Read',
    description: 'Gives read access to Change Management',
  },
  {
    scope: 'fenx.changemanagement.write',
    name: 'Fen-X Change Management API Write',
    description: 'Gives write access to Change Management',
  },
  {
    scope: 'fenx.comments',
    name: 'Fen-X Comments GraphQL API',
    description: 'Gives full access to Comments GraphQL API',
  },
  {
    scope: 'fenx.creditassessment.read',
    name: 'Fen-X Credit Assessment API Read',
    description: 'Gives read access to Credit Assessment',
  },
  {
    scope: 'fenx.creditassessment.write',
    name: 'Fen-X Credit Assessment API Write',
    description: 'Gives write access to Credit Assessment',
  },
  {
    scope: 'fenx.creditscreening.read',
    name: 'Fen-X Credit Screening API Read',
    description: 'Gives read access to Credit Screening',
  },
  {
    scope: 'fenx.creditscreening.write',
    name: 'Fen-X Credit Screening API Write',
    description: 'Gives write access to Credit Screening',
  },
  { scope: 'fenx.dashboards.read', name: 'Fen-X Dashboards API Read', description: 'Gives read access to Dashboards' },
  {
    scope: 'fenx.datamigration.read',
    name: 'Fen-X Data Migration API Read',
    description: 'Gives read access to Data Migration',
  },
  {
    scope: 'fenx.datamigration.write',
    name: 'Fen-X Data Migration API Write',
    description: 'Gives write access to Data Migration',
  },
  {
    scope: 'fenx.dataprotection.deleteentitydata',
    name: 'Fen-X Data Protection API Delete Entity',
    description: 'Gives access to Data Protection Deletion Endpoint',
  },
  {
    scope: 'fenx.dataprotection.read',
    name: 'Fen-X Data Protection API Read',
    description: 'Gives write access to Data Protection',
  },
  {
    scope: 'fenx.dataprotection.write',
    name: 'Fen-X Data Protection API Write',
    description: 'Gives write access to Data Protection',
  },
  { scope: 'fenx.digitalidv.read', name: 'Fen-X DigitalId&V API Read', description: 'Gives read access to DigitalId' },
  {
    scope: 'fenx.digitalidv.write',
    name: 'Fen-X DigitalId&V API Write',
    description: 'Gives write access to DigitalId&V',
  },
  { scope: 'fenx.documents.read', name: 'Fen-X Documents API Read', description: 'Gives read access to Documents' },
  { scope: 'fenx.documents.write', name: 'Fen-X Documents API Write', description: 'Gives write access to Documents' },
  {
    scope: 'fenx.entitydata.read',
    name: 'Fen-X Entity Data API Read',
    description: 'Gives read access to Entity Data',
  },
  {
    scope: 'fenx.entitydata.write',
    name: 'Fen-X Entity Data API Write',
    description: 'Gives write access to Entity Data',
  },
  { scope: 'fenx.etl.write', name: 'Fen-X ETL API Read and Write', description: 'Gives read and write access to ETL' },
  {
    scope: 'fenx.eventingress',
    name: 'Fen-X Event Ingress API',
    description: 'Allows full access to Event Ingress API',
  },
  {
    scope: 'fenx.eventnotifications',
    name: 'Fen-X Event Notifications API',
    description: 'Allows full access to Event Notifications API',
  },
  {
    scope: 'fenx.externalauthentication.read',
    name: 'Fen-X External Authentication API Read',
    description: 'Gives read access to External Authentication',
  },
  {
    scope: 'fenx.externalauthentication.write',
    name: 'Fen-X External Authentication API Write',
    description: 'Gives write access to External Authentication',
  },
  {
    scope: 'fenx.externaldata.outreach.read',
    name: 'Fen-X ExternalData Outreach API Read',
    description: 'Gives read access to ExternalData Outreach',
  },
  {
    scope: 'fenx.externaldata.outreach.write',
    name: 'Fen-X ExternalData Outreach API Write',
    description: 'Gives write access to ExternalData Outreach',
  },
  {
    scope: 'fenx.externaldata.read',
    name: 'Fen-X ExternalData API Read',
    description: 'Gives read access to ExternalData',
  },
  {
    scope: 'fenx.externaldata.write',
    name: 'Fen-X ExternalData API Write',
    description: 'Gives write access to ExternalData',
  },
  {
    scope: 'fenx.externaldatapolicy.read',
    name: 'Fen-X ExternalDataPolicy API Read',
    description: 'Gives read access to ExternalDataPolicy',
  },
  {
    scope: 'fenx.externaldatapolicy.write',
    name: 'Fen-X ExternalDataPolicy API Write',
    description: 'Gives write access to ExternalDataPolicy',
  },
  {
    scope: 'fenx.financialanalysis.read',
    name: 'Fen-X Financial Analysis API Read',
    description: 'Gives read access to Financial Analysis',
  },
  {
    scope: 'fenx.financialanalysis.write',
    name: 'Fen-X Financial Analysis API Write',
    description: 'Gives write access to Financial Analysis',
  },
  {
    scope: 'fenx.identity.usermangement.read',
    name: 'Fen-X Identity User management API Read',
    description: 'Gives read access to Identity User management',
  },
  {
    scope: 'fenx.identity.usermangement.write',
    name: 'Fen-X Identity User management API Write',
    description: 'Gives write access to Identity User management',
  },
  { scope: 'fenx.isda.read', name: 'Fen-X ISDA API Read', description: 'Gives read access to ISDA' },
  { scope: 'fenx.isda.write', name: 'Fen-X ISDA API Write', description: 'Gives write access to ISDA' },
  { scope: 'fenx.journey.read', name: 'Fen-X Journey API Read', description: 'Gives read access to Journey' },
  { scope: 'fenx.journey.write', name: 'Fen-X Journey API Write', description: 'Gives write access to Journey' },
  {
    scope: 'fenx.localisation.read',
    name: 'Fen-X Localisation API Read',
    description: 'Gives read access to Localisation',
  },
  {
    scope: 'fenx.localisation.write',
    name: 'Fen-X Localisation API Write',
    description: 'Gives write access to Localisation',
  },
  { scope: 'fenx.lookup.read', name: 'Fen-X Lookup API Read', description: 'Gives read access to Lookup' },
  { scope: 'fenx.lookup.write', name: 'Fen-X Lookup API Write', description: 'Gives write access to Lookup' },
  { scope: 'fenx.narrative.read', name: 'Fen-X Narrative API Read', description: 'Gives read access to Narrative' },
  { scope: 'fenx.narrative.write', name: 'Fen-X Narrative API Write', description: 'Gives write access to Narrative' },
  { scope: 'fenx.outreach.read', name: 'Fen-X Outreach API Read', description: 'Gives read access to Outreach' },
  { scope: 'fenx.outreach.write', name: 'Fen-X Outreach API Write', description: 'Gives writes access to Outreach' },
  { scope: 'fenx.policy.read', name: 'Fen-X Policy API Read', description: 'Gives read access to Policy' },
  { scope: 'fenx.policy.write', name: 'Fen-X Policy API Write', description: 'Gives write access to Policy' },
  {
    scope: 'fenx.policyexternaladapter.read',
    name: 'Fen-X Policy External Adapter API Read',
    description: 'Gives read access to Policy External Adapter',
  },
  {
    scope: 'fenx.policyexternaladapter.write',
    name: 'Fen-X Policy External Adapter API Write',
    description: 'Gives write access to Policy External Adapter',
  },
  {
    scope: 'fenx.portal-tenant.read',
    name: 'Fen-X Portal Tenant API Write',
    description: 'Gives read access to Portal Tenant',
  },
  {
    scope: 'fenx.portal-tenant.write',
    name: 'Fen-X Portal Tenant API Read',
    description: 'Gives write access to Portal Tenant',
  },
  { scope: 'fenx.product.read', name: 'Fen-X Product API Read', description: 'Gives read access to Product' },
  { scope: 'fenx.product.write', name: 'Fen-X Product API Write', description: 'Gives write access to Product' },
  {
    scope: 'fenx.productpolicy.read',
    name: 'Fen-X ProductPolicy API Read',
    description: 'Gives read access to ProductPolicy',
  },
  {
    scope: 'fenx.productpolicy.write',
    name: 'Fen-X ProductPolicy API Write',
    description: 'Gives write access to ProductPolicy',
  },
  { scope: 'fenx.reporting.read', name: 'Fen-X Reporting API Read', description: 'Gives read access to Reporting' },
  {
    scope: 'fenx.reports.read',
    name: 'Fen-X Advanced Reporting API Read',
    description: 'Gives read access to Advanced Reporting',
  },
  {
    scope: 'fenx.reports.write',
    name: 'Fen-X Advanced Reporting API Write',
    description: 'Gives writes access to Advanced Reporting',
  },
  { scope: 'fenx.review.read', name: 'Fen-X Review API Read', description: 'Gives read access to Review' },
  { scope: 'fenx.review.write', name: 'Fen-X Review API Write', description: 'Gives writes access to Review' },
  {
    scope: 'fenx.risk.read',
    name: 'Fen-X Risk API Read',
    description: 'Gives read access to Risk models and perform calculations',
  },
  { scope: 'fenx.risk.write', name: 'Fen-X Risk API Write', description: 'Gives writes access to Risk models' },
  { scope: 'fenx.screening.read', name: 'Fen-X Screening API Read', description: 'Gives read access to Screening' },
  { scope: 'fenx.screening.write', name: 'Fen-X Screening API Write', description: 'Gives write access to Screening' },
  {
    scope: 'fenx.shareddatatemplate.read',
    name: 'Fen-X Shared Data Template API Read',
    description: 'Gives read access to Shared Data Template',
  },
  {
    scope: 'fenx.shareddatatemplate.write',
    name: 'Fen-X Shared Data Template API Write',
    description: 'Gives write access to Shared Data Template',
  },
  {
    scope: 'fenx.significance.rule.access',
    name: 'Fen-X Significance Rule Access',
    description: 'Gives Significance Rule Access',
  },
  { scope: 'fenx.smartdocs.read', name: 'Fen-X Smartdocs API Read', description: 'Gives read access to IDP models' },
  { scope: 'fenx.smartdocs.write', name: 'Fen-X Smartdocs API Write', description: 'Gives write access to IDP models' },
  { scope: 'fenx.tenant.read', name: 'Fen-X Tenant API Read', description: 'Gives read access to Tenant' },
  { scope: 'fenx.tenant.write', name: 'Fen-X Tenant API Write', description: 'Gives write access to Tenant' },
  {
    scope: 'fenx.transferagency.read',
    name: 'Fen-X TransferAgency API Read',
    description: 'Gives read access to Transfer Agency',
  },
  {
    scope: 'fenx.transferagency.write',
    name: 'Fen-X TransferAgency API Write',
    description: 'Gives write access to Transfer Agency',
  },
  {
    scope: 'fenx.webhooks',
    name: 'Webhooks management API',
    description: 'Allows full access to Webhooks Management API',
  },
  { scope: 'scimapi.resource.add', name: 'SCIM POST Operations', description: 'SCIM POST Operations' },
  { scope: 'scimapi.resource.bulk', name: 'SCIM BULK Operations', description: 'SCIM BULK Operations' },
  { scope: 'scimapi.resource.delete', name: 'SCIM DELETE Operations', description: 'SCIM Delete Operations' },
  { scope: 'scimapi.resource.query', name: 'SCIM GET Operations', description: 'SCIM GET Operations' },
  { scope: 'scimapi.resource.update', name: 'SCIM PUT Operations', description: 'SCIM PUT Operations' },
  { scope: 'fenx.all', name: 'Fen-X All APIs', description: 'Gives full access to all Fen-X APIs' },
];

/** Fenergo limits the `scope` parameter of a token request to 300 characters. */
export const FENERGO_SCOPE_LIMIT = 300;
