//! ListFragments: pages of the fragment index with mod-time bounds (§2.6).

use gazette_protocol::{fragments_response, FragmentsRequest, FragmentsResponse, Status};

use crate::server::{Broker, Resolved};
use crate::{helpers, store};

/// Page size when the request leaves `page_limit` at 0.
const DEFAULT_PAGE_LIMIT: usize = 1000;

impl Broker {
    /// Serves ListFragments.
    pub(crate) async fn serve_list_fragments(
        &self,
        req: FragmentsRequest,
    ) -> Result<FragmentsResponse, tonic::Status> {
        helpers::validate(&req).map_err(tonic::Status::unknown)?;
        let (spec, route, content) =
            match self.resolve(&req.journal, false, req.do_not_proxy, req.header.as_ref())? {
                Resolved::Local {
                    spec,
                    route,
                    content,
                } => (spec, route, content),
                Resolved::Status(s, header) => {
                    return Ok(FragmentsResponse {
                        status: s as i32,
                        header: Some(header),
                        ..Default::default()
                    })
                }
                Resolved::Proxy(to) => return self.proxy_list_fragments(to, req).await,
            };
        let header = Some(self.cluster.header(self.me, route, self.revision()));
        if spec.flags == 2 {
            return Ok(FragmentsResponse {
                status: Status::NotAllowed as i32,
                header,
                ..Default::default()
            });
        }
        let (index, _) = content.index(&spec, self.cluster.store_root.as_deref());
        let limit = if req.page_limit == 0 {
            DEFAULT_PAGE_LIMIT
        } else {
            req.page_limit as usize
        };
        let mut out = FragmentsResponse {
            status: Status::Ok as i32,
            header,
            ..Default::default()
        };
        for e in index
            .iter()
            .filter(|e| e.fragment.begin >= req.next_page_token)
        {
            if out.fragments.len() == limit {
                out.next_page_token = e.fragment.begin;
                break;
            }
            let f = &e.fragment;
            let too_old = f.mod_time != 0 && f.mod_time < req.begin_mod_time;
            let too_new =
                req.end_mod_time != 0 && (f.mod_time == 0 || f.mod_time > req.end_mod_time);
            if too_old || too_new {
                continue;
            }
            let persisted = !f.backing_store.is_empty() && f.mod_time != 0;
            out.fragments.push(fragments_response::Fragment {
                spec: Some(f.clone()),
                signed_url: if persisted && req.signature_ttl.is_some() {
                    store::fragment_url(f)
                } else {
                    String::new()
                },
            });
        }
        Ok(out)
    }
}
