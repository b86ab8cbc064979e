// The keys a config may hold, per table, and the integer keys with their
// ranges: what the parser accepts and what ConfigKeys() lists. Internal to
// config/; constant data.
#ifndef SFTPD_CONFIG_KEYS_H_
#define SFTPD_CONFIG_KEYS_H_

#include <array>
#include <string_view>

#include "config/config.h"

namespace sftpd::config_internal {

inline constexpr std::array<std::string_view, 8> kTopKeys = {
    "server", "auth",    "audit", "defender",
    "policy", "exports", "users", "groups"};
inline constexpr std::array<std::string_view, 15> kServerKeys = {
    "listen",
    "control_socket",
    "host_keys",
    "proxy_from",
    "max_startups",
    "max_startups_per_address",
    "max_connections",
    "max_connections_per_address",
    "max_sessions_per_user",
    "max_channels_per_connection",
    "idle_timeout",
    "kex",
    "ciphers",
    "macs",
    "host_key_algorithms"};
inline constexpr std::array<std::string_view, 4> kAuthKeys = {
    "methods", "authorized_keys", "login_grace_time", "max_tries"};
inline constexpr std::array<std::string_view, 3> kAuditKeys = {"log", "syslog",
                                                               "on_failure"};
inline constexpr std::array<std::string_view, 12> kDefenderKeys = {
    "enabled",          "threshold",          "observation_time",
    "ban_time",         "score_failed_login", "score_invalid_user",
    "score_no_auth",    "score_over_limit",   "ipv6_prefix",
    "ipv6_wide_prefix", "ipv6_wide_networks", "never_ban"};
inline constexpr std::array<std::string_view, 1> kPolicyKeys = {"audit_writes"};
inline constexpr std::array<std::string_view, 6> kExportKeys = {
    "path", "access", "owner_only", "umask", "atomic_uploads", "group"};
inline constexpr std::array<std::string_view, 2> kGrantKeys = {"exports",
                                                               "allow_from"};
inline constexpr std::array<std::string_view, 3> kAuthMethods = {
    "publickey", "password", "keyboard-interactive"};

// An integer key of a section, the field it sets and its inclusive range.
template <typename Section>
struct IntKey {
  std::string_view key;
  int Section::*field;
  int min;
  int max;
};

// max_startups is an integer or "start:rate:full" (ParseStartups).
inline constexpr int kMaxStartups = 10000;
inline constexpr std::array<IntKey<ServerSection>, 6> kServerInts = {{
    {"max_startups_per_address", &ServerSection::max_startups_per_address, 1,
     kMaxStartups},
    {"max_connections", &ServerSection::max_connections, 1, 100000},
    {"max_connections_per_address", &ServerSection::max_connections_per_address,
     1, 100000},
    {"max_sessions_per_user", &ServerSection::max_sessions_per_user, 1, 100000},
    {"max_channels_per_connection", &ServerSection::max_channels_per_connection,
     1, 100},
    {"idle_timeout", &ServerSection::idle_timeout, 0, 604800},
}};
inline constexpr std::array<IntKey<AuthSection>, 2> kAuthInts = {{
    {"login_grace_time", &AuthSection::login_grace_time, 1, 3600},
    {"max_tries", &AuthSection::max_tries, 1, 100},
}};

inline constexpr std::array<IntKey<DefenderSection>, 10> kDefenderInts = {{
    {"threshold", &DefenderSection::threshold, 1, 10000},
    {"observation_time", &DefenderSection::observation_time, 1, 86400},
    {"ban_time", &DefenderSection::ban_time, 1, 604800},
    {"score_failed_login", &DefenderSection::score_failed_login, 0, 10000},
    {"score_invalid_user", &DefenderSection::score_invalid_user, 0, 10000},
    {"score_no_auth", &DefenderSection::score_no_auth, 0, 10000},
    {"score_over_limit", &DefenderSection::score_over_limit, 0, 10000},
    {"ipv6_prefix", &DefenderSection::ipv6_prefix, 32, 128},
    // Also at most ipv6_prefix (ParseDefender).
    {"ipv6_wide_prefix", &DefenderSection::ipv6_wide_prefix, 32, 128},
    // Not 1 either (ParseDefender): one network would ban its wide prefix.
    {"ipv6_wide_networks", &DefenderSection::ipv6_wide_networks, 0, 10000},
}};

}  // namespace sftpd::config_internal

#endif  // SFTPD_CONFIG_KEYS_H_
