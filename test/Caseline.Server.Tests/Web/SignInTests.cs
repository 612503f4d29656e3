using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Caseline.Server.Tests.Web;

/// <summary>Signing in to the web UI with the token endpoint's users, its throttling and lockout, sessions that end on the server; forms refused without their antiforgery token.</summary>
public sealed class SignInTests(CaselineServer server, Chromium chromium) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task A_page_asks_for_sign_in_then_opens_and_signing_out_ends_the_session()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var web = await chromium.OpenAsync(server, nameof(A_page_asks_for_sign_in_then_opens_and_signing_out_ends_the_session));

        await web.GoAsync("/ui");
        Assert.EndsWith("/ui/signin?returnUrl=%2Fui", web.Page.Url, StringComparison.Ordinal);
        await web.CheckAsync("sign-in");

        await web.SignInAsync(agency.Officer);
        Assert.Equal("Caseload", await web.Page.Locator("h1").InnerTextAsync());
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }));
        Assert.Equal("You are signed out", await web.Page.Locator("h1").InnerTextAsync());
        await web.CheckAsync("signed-out");

        await web.GoAsync("/ui");
        Assert.Contains("/ui/signin", web.Page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_passwords_slow_the_next_tries_and_five_lock_the_account_for_the_ui_as_for_tokens()
    {
        // The clock stands still unless the test moves it: the doubling waits cannot run out behind a slow browser.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var timed = CaselineServer.With(services: s => s.AddSingleton<TimeProvider>(clock));
        using var agency = await WebAgency.CreateAsync(timed);
        await using var web = await chromium.OpenAsync(timed, nameof(Wrong_passwords_slow_the_next_tries_and_five_lock_the_account_for_the_ui_as_for_tokens));

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await web.SignInAsync(agency.Officer, "not-the-password");
            if (attempt > 3)
            {
                // After two free failures each one makes the next try wait: 1 s, then 2 s.
                var wait = attempt - 3 == 1 ? 1 : 2;
                Assert.Contains(wait == 1 ? "try again in 1 second." : $"try again in {wait} seconds.", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
                await web.CheckAsync("sign-in-throttled");
                clock.Advance(TimeSpan.FromSeconds(wait));
                await web.SignInAsync(agency.Officer, "not-the-password");
            }

            Assert.Contains("incorrect", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        }

        await web.CheckAsync("sign-in-failed");
        clock.Advance(TimeSpan.FromSeconds(10));
        await web.SignInAsync(agency.Officer);
        Assert.Contains("locked", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await web.FocusedAsync(".error-summary"), "the error takes focus");

        // The token endpoint counts the same failures.
        using var http = timed.CreateClient();
        var token = await http.PostAsync("/identity/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["client_id"] = "caseline", ["scope"] = "openid caseIntegrationApi",
            ["username"] = agency.Officer, ["password"] = CaselineServer.Password,
        }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, token.StatusCode);
        Assert.Contains("locked", (string?)(await token.ReadObject())["error_description"], StringComparison.Ordinal);

        var audit = await (await agency.Api.Get("/api/v1/admin/audit?actor=" + Uri.EscapeDataString(agency.Officer))).ReadObject();
        var outcomes = audit["Records"]!.AsArray().Where(r => (string?)r!["Action"] == "logon").Select(r => (int)r!["Outcome"]!).ToList();
        Assert.Equal([400, 400, 400, 400, 400, 423, 423], outcomes);
    }

    [Fact]
    public async Task A_session_cookie_replayed_after_sign_out_or_after_a_password_change_opens_nothing()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var web = await chromium.OpenAsync(server, nameof(A_session_cookie_replayed_after_sign_out_or_after_a_password_change_opens_nothing));
        async Task<HttpClient> CopyOfSession()
        {
            var cookies = new System.Net.CookieContainer();
            foreach (var cookie in await web.Context.CookiesAsync())
            {
                cookies.Add(new System.Net.Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain));
            }

            return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server.Url };
        }

        async Task<string?> Opens(HttpClient copy) =>
            (await copy.GetAsync("/ui/", TestContext.Current.CancellationToken)) is { StatusCode: HttpStatusCode.OK } ? "opened" : null;

        await web.SignInAsync(agency.Officer);
        using var beforeSignOut = await CopyOfSession();
        Assert.Equal("opened", await Opens(beforeSignOut));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }));
        Assert.Null(await Opens(beforeSignOut));

        await web.SignInAsync(agency.Officer);
        using var beforePasswordChange = await CopyOfSession();
        Assert.Equal("opened", await Opens(beforePasswordChange));
        var id = (string)(await (await agency.Api.Get("/api/v1/admin/users")).Content.ReadFromJsonAsync<JsonArray>(TestContext.Current.CancellationToken))!
            .Single(u => (string?)u!["Login"] == agency.Officer)!["Id"]!;
        Assert.Equal(HttpStatusCode.OK, (await agency.Api.PutAsJsonAsync($"/api/v1/admin/users/{id}", new { Password = "another-password-2" }, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Null(await Opens(beforePasswordChange));
        await web.GoAsync("/ui/");
        Assert.Contains("/ui/signin", web.Page.Url, StringComparison.Ordinal); // the browser's own session ended too
    }

    [Fact]
    public async Task A_form_posted_without_its_antiforgery_token_is_refused_and_changes_nothing()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await agency.PutClientAsync("AF1", """{"FirstName":"Ann","LastName":"Lee"}""");
        await using var web = await chromium.OpenAsync(server, nameof(A_form_posted_without_its_antiforgery_token_is_refused_and_changes_nothing));
        await web.SignInAsync(agency.Officer);
        var before = agency.Log().Count;

        // The session's own cookies, a well-formed form, and no token.
        var response = await web.Context.APIRequest.PostAsync("/ui/clients/AF1/edit/personal", new APIRequestContextOptions
        {
            Form = web.Context.APIRequest.CreateFormData().Set("FirstName", "Mallory").Set("LastName", "Lee"),
        });
        Assert.Equal(400, response.Status);
        Assert.Contains("could not be accepted", await response.TextAsync(), StringComparison.Ordinal);

        // With the page's own token the same change goes through: the refusal was the token's.
        await web.GoAsync("/ui/clients/AF1/edit/personal");
        var token = await web.Page.Locator("#main input[name=__antiforgery]").InputValueAsync();
        response = await web.Context.APIRequest.PostAsync("/ui/clients/AF1/edit/personal", new APIRequestContextOptions
        {
            Form = web.Context.APIRequest.CreateFormData().Set("FirstName", "Mallory").Set("LastName", "Lee").Set("__antiforgery", token),
        });
        Assert.Equal(200, response.Status);
        Assert.Equal(before + 1, agency.Log().Count);
        Assert.Equal(JsonValue.Create("Mallory")!.ToJsonString(), JsonValue.Create(((Caseline.Messages.PersonalDetails)agency.Log()[^1].Message.Details).FirstName)!.ToJsonString());
    }
}
