//! A browser as the console's router tests need one: it keeps the cookies the server sets,
//! sends them back, and posts forms the way a browser does (with `Origin`, urlencoded). Pages
//! are read with CSS selectors ([`Page`]).

use std::collections::BTreeMap;

use crate::{TestApp, TestRequest, TestResponse};

/// The origin the test app's public URL names (`ApiConfig::default`).
pub const ORIGIN: &str = "http://127.0.0.1:8080";

pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser { app, cookies: BTreeMap::new() }
    }

    /// A request carrying the browser's cookies (add headers, then [`Browser::send`]).
    pub fn request(&self, method: &str, path: &str) -> TestRequest<'a> {
        let mut request = self.app.request(method, path);
        if !self.cookies.is_empty() {
            let header: Vec<String> = self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect();
            request = request.header("cookie", &header.join("; "));
        }
        request
    }

    /// Sends it and keeps the cookies the answer sets (or removes).
    pub async fn send(&mut self, request: TestRequest<'_>) -> TestResponse {
        let response = request.send().await;
        for value in response.headers.get_all("set-cookie") {
            let cookie = cookie::Cookie::parse(value.to_str().expect("ASCII cookies").to_string()).expect("a cookie");
            if cookie.max_age().is_some_and(|age| age.is_zero()) {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies.insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
        response
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        let request = self.request("GET", path);
        self.send(request).await
    }

    /// A form posted from one of the console's pages (same origin).
    pub fn form(&self, path: &str, fields: &[(&str, &str)]) -> TestRequest<'a> {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.request("POST", path).header("origin", ORIGIN).raw("application/x-www-form-urlencoded", body)
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let request = self.form(path, fields);
        self.send(request).await
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    /// Signs in through the sign-in page, as a person would; asserts it worked.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let page = Page::of(&self.get("/app/login").await);
        let token = page.value("input[name=_csrf]");
        let response = self.post("/app/login", &[("_csrf", &token), ("email", email), ("password", password)]).await;
        assert_eq!(response.status, 303, "signing in {email}: {}", response.text());
        assert!(self.cookie("enspace_session").is_some(), "a session cookie");
    }

    /// The session's form token, read from a page's sign-out form.
    pub async fn form_token(&mut self) -> String {
        Page::of(&self.get("/app/account").await).value("form[action='/app/logout'] input[name=_csrf]")
    }
}

/// A rendered page, read with CSS selectors.
pub struct Page {
    pub html: scraper::Html,
}

impl Page {
    #[track_caller]
    pub fn of(response: &TestResponse) -> Page {
        let content_type = response.header("content-type").unwrap_or_default();
        assert!(content_type.starts_with("text/html"), "an HTML page, got {content_type:?}: {}", response.text());
        Page { html: scraper::Html::parse_document(&response.text()) }
    }

    fn selector(selector: &str) -> scraper::Selector {
        scraper::Selector::parse(selector).unwrap_or_else(|e| panic!("selector {selector:?}: {e}"))
    }

    /// The text of every element `selector` matches, whitespace collapsed.
    pub fn texts(&self, selector: &str) -> Vec<String> {
        self.html
            .select(&Self::selector(selector))
            .map(|e| e.text().collect::<String>().split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// The text of the one element `selector` matches.
    #[track_caller]
    pub fn text(&self, selector: &str) -> String {
        let texts = self.texts(selector);
        assert_eq!(texts.len(), 1, "one {selector:?}, found {texts:?}");
        texts.into_iter().next().unwrap()
    }

    /// `attribute` of every element `selector` matches.
    pub fn attrs(&self, selector: &str, attribute: &str) -> Vec<String> {
        self.html
            .select(&Self::selector(selector))
            .filter_map(|e| e.value().attr(attribute).map(str::to_string))
            .collect()
    }

    /// The `value` of the one element `selector` matches.
    #[track_caller]
    pub fn value(&self, selector: &str) -> String {
        let values = self.attrs(selector, "value");
        assert_eq!(values.len(), 1, "one {selector:?} with a value, found {values:?}");
        values.into_iter().next().unwrap()
    }

    /// What a browser submits for the form `selector` matches, as it is shown: every named
    /// input with its value (checked boxes and radios only), selects' chosen options,
    /// textareas' text, in document order.
    pub fn form_pairs(&self, selector: &str) -> Vec<(String, String)> {
        let form = self.html.select(&Self::selector(selector)).next().unwrap_or_else(|| panic!("no form {selector:?}"));
        let mut pairs = Vec::new();
        for input in form.select(&Self::selector("input, select, textarea")) {
            let element = input.value();
            let Some(name) = element.attr("name") else { continue };
            let kind = element.attr("type").unwrap_or("text");
            let value = match element.name() {
                "select" => input
                    .select(&Self::selector("option[selected]"))
                    .next()
                    .map(|option| option.value().attr("value").map_or_else(|| option.text().collect(), str::to_string)),
                "textarea" => Some(input.text().collect()),
                _ if matches!(kind, "checkbox" | "radio") && element.attr("checked").is_none() => None,
                _ => Some(element.attr("value").unwrap_or_default().to_string()),
            };
            if let Some(value) = value {
                pairs.push((name.to_string(), value));
            }
        }
        pairs
    }
}
