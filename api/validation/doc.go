// Package validation holds the validators every API kind shares, with
// Kubernetes' rules and messages: the name and label checks (IsDNS1123Label,
// IsQualifiedName, IsValidLabelValue, ...) that return a list of messages,
// and the ObjectMeta checks (ValidateObjectMeta, ValidateObjectMetaUpdate)
// that return a field.ErrorList with full paths.
//
// The Is* checks return nil when the value is valid, otherwise one message
// per problem, worded as Kubernetes words them (clients and users compare
// them). The per-kind validators of the api/... group packages build on
// them.
package validation
