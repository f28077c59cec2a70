// RouteConfiguration, virtual hosts and routes (envoy.config.route.v3).
import type { Duration, HeaderValueOption, Metadata, RuntimeFractionalPercent, TypedConfig } from './core.ts';

export type StringMatcher = {
  exact?: string;
  prefix?: string;
  suffix?: string;
  contains?: string;
  safe_regex?: { regex?: string };
  ignore_case?: boolean;
};

export type HeaderMatcher = {
  name: string;
  exact_match?: string;
  present_match?: boolean;
  string_match?: StringMatcher;
  invert_match?: boolean;
};

export type QueryParameterMatcher = {
  name: string;
  string_match?: StringMatcher;
  present_match?: boolean;
};

export type RouteMatch = {
  prefix?: string;
  path?: string;
  safe_regex?: { regex?: string };
  path_separated_prefix?: string;
  case_sensitive?: boolean;
  headers?: HeaderMatcher[];
  query_parameters?: QueryParameterMatcher[];
  runtime_fraction?: RuntimeFractionalPercent;
};

export type ClusterWeight = {
  name: string;
  weight?: number;
  request_headers_to_add?: HeaderValueOption[];
  response_headers_to_add?: HeaderValueOption[];
};

export type RetryPolicy = {
  retry_on?: string;
  num_retries?: number;
  per_try_timeout?: Duration;
  retry_host_predicate?: { name?: string; typed_config?: TypedConfig }[];
  host_selection_retry_max_attempts?: string | number;
  retriable_status_codes?: number[];
};

export type RouteAction = {
  cluster?: string;
  cluster_header?: string;
  weighted_clusters?: { clusters?: ClusterWeight[]; total_weight?: number };
  prefix_rewrite?: string;
  regex_rewrite?: { pattern?: { regex?: string }; substitution?: string };
  host_rewrite_literal?: string;
  auto_host_rewrite?: boolean;
  timeout?: Duration;
  idle_timeout?: Duration;
  retry_policy?: RetryPolicy;
  request_mirror_policies?: { cluster?: string; runtime_fraction?: RuntimeFractionalPercent }[];
  max_stream_duration?: { max_stream_duration?: Duration; grpc_timeout_header_max?: Duration };
  hash_policy?: unknown[];
};

export type RedirectAction = {
  https_redirect?: boolean;
  scheme_redirect?: string;
  host_redirect?: string;
  port_redirect?: number;
  path_redirect?: string;
  prefix_rewrite?: string;
  response_code?: 'MOVED_PERMANENTLY' | 'FOUND' | 'SEE_OTHER' | 'TEMPORARY_REDIRECT' | 'PERMANENT_REDIRECT';
  strip_query?: boolean;
};

export type DirectResponseAction = {
  status?: number;
  body?: { inline_string?: string; inline_bytes?: string; filename?: string };
};

export type Route = {
  name?: string;
  match?: RouteMatch;
  route?: RouteAction;
  redirect?: RedirectAction;
  direct_response?: DirectResponseAction;
  decorator?: { operation?: string };
  metadata?: Metadata;
  typed_per_filter_config?: { [filter: string]: TypedConfig };
  request_headers_to_add?: HeaderValueOption[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: HeaderValueOption[];
  response_headers_to_remove?: string[];
};

export type VirtualHost = {
  name: string;
  domains?: string[];
  routes?: Route[];
  require_tls?: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  retry_policy?: RetryPolicy;
  include_request_attempt_count?: boolean;
  typed_per_filter_config?: { [filter: string]: TypedConfig };
  request_headers_to_add?: HeaderValueOption[];
  response_headers_to_add?: HeaderValueOption[];
};

export type RouteConfiguration = {
  name?: string;
  virtual_hosts?: VirtualHost[];
  validate_clusters?: boolean;
  max_direct_response_body_size_bytes?: number;
  ignore_port_in_host_matching?: boolean;
  request_headers_to_add?: HeaderValueOption[];
  response_headers_to_add?: HeaderValueOption[];
};
