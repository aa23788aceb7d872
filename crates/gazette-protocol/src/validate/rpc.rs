//! [`Validate`] rules of the Journal service's requests and responses.

use super::*;

impl Validate for ReadRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        ctx_if_some(&self.header, "Header")?;
        validate_journal_name(&self.journal).map_err(|e| e.context("Journal"))?;
        if self.offset < -1 {
            return invalid!(
                "invalid Offset ({}; expected -1 <= Offset <= MaxInt64)",
                self.offset
            );
        }
        if self.end_offset < 0 || (self.end_offset != 0 && self.end_offset < self.offset) {
            return invalid!(
                "invalid EndOffset ({}; expected 0 or Offset <= EndOffset)",
                self.end_offset
            );
        }
        Ok(())
    }
}

impl Validate for ReadResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_status(self.status).map_err(|e| e.context("Status"))?;
        let status = enum_text(self.status, |s: Status| s.as_str_name());
        if !self.content.is_empty() {
            // A content frame carries nothing else.
            if self.status != Status::Ok as i32 {
                return invalid!("unexpected Status with Content ({status})");
            } else if let Some(h) = &self.header {
                return invalid!("unexpected Header with Content ({h:?})");
            } else if self.write_head != 0 {
                return invalid!("unexpected WriteHead with Content ({})", self.write_head);
            } else if let Some(f) = &self.fragment {
                return invalid!("unexpected Fragment with Content ({f:?})");
            } else if !self.fragment_url.is_empty() {
                return invalid!(
                    "unexpected FragmentUrl with Content ({})",
                    self.fragment_url
                );
            }
            return Ok(());
        }
        ctx_if_some(&self.header, "Header")?;
        if self.write_head < 0 {
            return invalid!("invalid WriteHead ({}; expected >= 0)", self.write_head);
        }
        match &self.fragment {
            Some(f) => {
                ctx(f, "Fragment")?;
                if self.offset < f.begin || self.offset >= f.end {
                    return invalid!(
                        "invalid Offset ({}; expected {} <= offset < {})",
                        self.offset,
                        f.begin,
                        f.end
                    );
                }
                if self.write_head < f.end {
                    return invalid!(
                        "invalid WriteHead ({}; expected >= {})",
                        self.write_head,
                        f.end
                    );
                }
                if !self.fragment_url.is_empty() {
                    parse_url(&self.fragment_url).map_err(|e| e.context("FragmentUrl"))?;
                }
            }
            None => {
                if self.status == Status::Ok as i32 && self.offset != 0 {
                    return invalid!(
                        "unexpected Offset without Fragment or Content ({})",
                        self.offset
                    );
                }
                if !self.fragment_url.is_empty() {
                    return invalid!(
                        "unexpected FragmentUrl without Fragment ({})",
                        self.fragment_url
                    );
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- Append

impl Validate for AppendRequest {
    /// A first message (non-empty `journal`) is checked as a request; any
    /// other message must be content or the empty commit.
    fn validate(&self) -> Result<(), ValidationError> {
        if !self.journal.is_empty() {
            ctx_if_some(&self.header, "Header")?;
            validate_journal_name(&self.journal).map_err(|e| e.context("Journal"))?;
            if self.offset < 0 {
                return invalid!("invalid Offset ({}; expected >= 0)", self.offset);
            }
            if !self.content.is_empty() {
                return invalid!("unexpected Content");
            }
            ctx_if_some(&self.check_registers, "CheckRegisters")?;
            ctx_if_some(&self.union_registers, "UnionRegisters")?;
            ctx_if_some(&self.subtract_registers, "SubtractRegisters")?;
            if append_request::Suspend::try_from(self.suspend).is_err() {
                return Err(ValidationError::new(format!(
                    "invalid Suspend variant ({})",
                    self.suspend
                ))
                .context("Suspend"));
            }
            if self.min_etcd_revision < 0 {
                return invalid!(
                    "invalid MinEtcdRevision ({}; expected >= 0)",
                    self.min_etcd_revision
                );
            }
            return Ok(());
        }
        if self.header.is_some() {
            invalid!("unexpected Header")
        } else if self.do_not_proxy {
            invalid!("unexpected DoNotProxy")
        } else if self.offset != 0 {
            invalid!("unexpected Offset")
        } else if self.check_registers.is_some() {
            invalid!("unexpected CheckRegisters")
        } else if self.union_registers.is_some() {
            invalid!("unexpected UnionRegisters")
        } else if self.subtract_registers.is_some() {
            invalid!("unexpected SubtractRegisters")
        } else if self.suspend != 0 {
            invalid!("unexpected Suspend")
        } else if self.min_etcd_revision != 0 {
            invalid!("unexpected MinEtcdRevision")
        } else {
            Ok(())
        }
    }
}

impl Validate for AppendResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_status(self.status).map_err(|e| e.context("Status"))?;
        ctx_or_default(&self.header, "Header")?;
        let ok = self.status == Status::Ok as i32;
        if ok && self.commit.is_none() {
            return invalid!("expected Commit");
        }
        if (ok || self.status == Status::RegisterMismatch as i32) && self.registers.is_none() {
            return invalid!("expected Registers");
        }
        ctx_if_some(&self.commit, "Commit")?;
        ctx_if_some(&self.registers, "Registers")
    }
}

// ----------------------------------------------------------- List, Apply

impl Validate for ListRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        let default = LabelSelector::default();
        let selector = self.selector.as_ref().unwrap_or(&default);
        ctx(selector, "Selector")?;
        for (side, set) in [
            ("Include", &selector.include),
            ("Exclude", &selector.exclude),
        ] {
            if let Some(set) = set {
                for v in set.values_of("prefix") {
                    if !v.ends_with('/') {
                        return invalid!(
                            "Selector.{side}.Labels[\"prefix\"]: expected trailing '/' ({v})"
                        );
                    }
                }
            }
        }
        ctx_if_some(&self.watch_resume, "WatchResume")
    }
}

impl Validate for list_response::Journal {
    fn validate(&self) -> Result<(), ValidationError> {
        ctx_or_default(&self.spec, "Spec")?;
        if self.mod_revision <= 0 {
            return invalid!("invalid ModRevision ({}; expected > 0)", self.mod_revision);
        }
        ctx_or_default(&self.route, "Route")
    }
}

impl Validate for ListResponse {
    /// Checks the first message of a listing (or a v0.89 unary response).
    /// Continuation chunks of a streamed listing carry only `journals`; check
    /// those with [`validate_list_chunk`].
    fn validate(&self) -> Result<(), ValidationError> {
        validate_status(self.status).map_err(|e| e.context("Status"))?;
        ctx_or_default(&self.header, "Header")?;
        validate_list_chunk(self)
    }
}

/// Validates only the `journals` of a ListResponse (a continuation chunk).
pub fn validate_list_chunk(resp: &ListResponse) -> Result<(), ValidationError> {
    for (i, j) in resp.journals.iter().enumerate() {
        ctx(j, format!("Journals[{i}]"))?;
    }
    Ok(())
}

impl Validate for apply_request::Change {
    fn validate(&self) -> Result<(), ValidationError> {
        match (&self.upsert, self.delete.is_empty()) {
            (Some(_), false) => invalid!("both Upsert and Delete are set (expected exactly one)"),
            (Some(spec), true) => {
                ctx(spec, "Upsert")?;
                if self.expect_mod_revision < -1 {
                    return invalid!(
                        "invalid ExpectModRevision ({}; expected >= 0 or -1)",
                        self.expect_mod_revision
                    );
                }
                Ok(())
            }
            (None, false) => {
                validate_journal_name(&self.delete).map_err(|e| e.context("Delete"))?;
                if self.expect_mod_revision <= 0 && self.expect_mod_revision != -1 {
                    return invalid!(
                        "invalid ExpectModRevision ({}; expected > 0 or -1)",
                        self.expect_mod_revision
                    );
                }
                Ok(())
            }
            (None, true) => invalid!("neither Upsert nor Delete are set (expected exactly one)"),
        }
    }
}

impl Validate for ApplyRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        for (i, c) in self.changes.iter().enumerate() {
            ctx(c, format!("Changes[{i}]"))?;
        }
        Ok(())
    }
}

impl Validate for ApplyResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_status(self.status).map_err(|e| e.context("Status"))?;
        ctx_or_default(&self.header, "Header")
    }
}

// ------------------------------------------------- Fragments, store health

impl Validate for FragmentsRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        ctx_if_some(&self.header, "Header")?;
        validate_journal_name(&self.journal).map_err(|e| e.context("Journal"))?;
        if self.end_mod_time != 0 && self.end_mod_time < self.begin_mod_time {
            return invalid!(
                "invalid EndModTime ({} must be after {})",
                self.end_mod_time,
                self.begin_mod_time
            );
        }
        if self.next_page_token < 0 {
            return invalid!(
                "invalid NextPageToken ({}; must be >= 0)",
                self.next_page_token
            );
        }
        if self.page_limit < 0 || self.page_limit > 10000 {
            return invalid!(
                "invalid PageLimit ({}; must be >= 0 and <= 10000)",
                self.page_limit
            );
        }
        if let Some(ttl) = &self.signature_ttl {
            let n = duration_nanos(Some(ttl));
            if n <= 0 {
                return invalid!(
                    "invalid SignatureTTL ({}; must be > 0s)",
                    format_go_duration(n)
                );
            }
        }
        Ok(())
    }
}

impl Validate for fragments_response::Fragment {
    fn validate(&self) -> Result<(), ValidationError> {
        ctx_or_default(&self.spec, "Spec")?;
        parse_url(&self.signed_url).map_err(|e| e.context("SignedUrl"))?;
        Ok(())
    }
}

impl Validate for FragmentsResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_status(self.status).map_err(|e| e.context("Status"))?;
        ctx_or_default(&self.header, "Header")?;
        for (i, f) in self.fragments.iter().enumerate() {
            ctx(f, format!("Fragments[{i}]"))?;
        }
        Ok(())
    }
}

impl Validate for FragmentStoreHealthRequest {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_fragment_store(&self.fragment_store).map_err(|e| e.context("FragmentStore"))?;
        let p = &self.check_delete_prefix;
        if !p.is_empty() && (!p.ends_with('/') || p.split('/').any(|seg| seg == "..")) {
            return invalid!(
                "invalid CheckDeletePrefix ({p}; expected a trailing '/' and no '..')"
            );
        }
        Ok(())
    }
}

impl Validate for FragmentStoreHealthResponse {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_status(self.status).map_err(|e| e.context("Status"))?;
        ctx_or_default(&self.header, "Header")
    }
}
