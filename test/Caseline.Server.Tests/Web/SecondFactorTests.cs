using Caseline.Server.Identity;
using Microsoft.Playwright;

namespace Caseline.Server.Tests.Web;

/// <summary>The optional TOTP second factor: enrolment with a QR code, sign-in with a code or a recovery code, an agency's rule, a reset.</summary>
public sealed class SecondFactorTests(CaselineServer server, Chromium chromium) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task An_officer_enrols_an_app_then_signs_in_with_its_code_or_once_with_a_recovery_code_and_an_administrator_resets_it()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var web = await chromium.OpenAsync(server, nameof(An_officer_enrols_an_app_then_signs_in_with_its_code_or_once_with_a_recovery_code_and_an_administrator_resets_it));
        await web.SignInAsync(agency.Officer);
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Sign-in security" }));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Set up an authenticator app" }));
        Assert.Equal(1, await web.Page.Locator("svg.qr path").CountAsync());
        var secret = Base32((await web.Page.Locator(".secret").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).Trim());
        await web.CheckAsync("enrol");

        await web.Page.GetByLabel("Code from the app").FillAsync(Wrong(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }));
        Assert.Contains("not right", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Null(server.Execute($"SELECT totp_secret FROM users WHERE login = '{agency.Officer}'", readOnly: true) as string);
        await web.CheckAsync("enrol-error");

        await web.Page.GetByLabel("Code from the app").FillAsync(Now(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }));
        var codes = (await web.Page.Locator(".codes li").AllInnerTextsAsync()).Select(c => c.Trim()).ToList();
        Assert.Equal(10, codes.Count);
        await web.CheckAsync("enrolled");

        // The password alone is no longer enough.
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }));
        await web.SignInAsync(agency.Officer);
        Assert.Equal(1, await web.Page.GetByLabel("Code from your authenticator app").CountAsync());
        await web.CheckAsync("sign-in-code");
        await web.Page.GetByLabel("Code from your authenticator app").FillAsync(Wrong(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
        Assert.Contains("not right", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await web.Page.GetByLabel("Code from your authenticator app").FillAsync(Now(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
        Assert.Equal("Caseload", await web.Page.Locator("h1").InnerTextAsync());

        // A recovery code works once.
        for (var use = 0; use < 2; use++)
        {
            await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }));
            await web.SignInAsync(agency.Officer);
            await web.Page.GetByLabel("Code from your authenticator app").FillAsync(codes[3]);
            await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
            if (use == 0)
            {
                Assert.Equal("Caseload", await web.Page.Locator("h1").InnerTextAsync());
            }
            else
            {
                Assert.Contains("not right", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
            }
        }

        // An administrator resets it: the password alone signs in again.
        await using var admin = await chromium.OpenAsync(server, nameof(An_officer_enrols_an_app_then_signs_in_with_its_code_or_once_with_a_recovery_code_and_an_administrator_resets_it) + "-admin");
        await admin.SignInAsync(agency.Administrator);
        await admin.GoAsync("/ui/admin/users");
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Button, new() { Name = $"Reset the second factor of {agency.Officer}" }));
        await using var again = await chromium.OpenAsync(server, nameof(An_officer_enrols_an_app_then_signs_in_with_its_code_or_once_with_a_recovery_code_and_an_administrator_resets_it) + "-again");
        await again.SignInAsync(agency.Officer);
        Assert.Equal("Caseload", await again.Page.Locator("h1").InnerTextAsync());
    }

    [Fact]
    public async Task When_the_agency_requires_a_second_factor_a_user_without_one_must_enrol_before_anything_else()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var admin = await chromium.OpenAsync(server, nameof(When_the_agency_requires_a_second_factor_a_user_without_one_must_enrol_before_anything_else));
        await admin.SignInAsync(agency.Administrator);
        await admin.GoAsync("/ui/admin/users");
        await admin.ClickAsync(admin.Page.GetByRole(AriaRole.Button, new() { Name = "Require a second factor" }));
        Assert.Contains("now required", await admin.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);

        await using var web = await chromium.OpenAsync(server, nameof(When_the_agency_requires_a_second_factor_a_user_without_one_must_enrol_before_anything_else) + "-officer");
        await web.SignInAsync(agency.Officer);
        Assert.EndsWith("/ui/account", web.Page.Url, StringComparison.Ordinal);
        await web.GoAsync("/ui");
        Assert.EndsWith("/ui/account", web.Page.Url, StringComparison.Ordinal);
        await web.CheckAsync("must-enrol");

        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Set up an authenticator app" }));
        var secret = Base32((await web.Page.Locator(".secret").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).Trim());
        await web.Page.GetByLabel("Code from the app").FillAsync(Now(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }));
        await web.GoAsync("/ui");
        Assert.Equal("Caseload", await web.Page.Locator("h1").InnerTextAsync());
    }

    [Fact]
    public async Task Replacing_or_removing_the_app_asks_for_the_password_and_a_current_code_not_only_a_session()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var web = await chromium.OpenAsync(server, nameof(Replacing_or_removing_the_app_asks_for_the_password_and_a_current_code_not_only_a_session));
        await web.SignInAsync(agency.Officer);
        await web.GoAsync("/ui/account");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Set up an authenticator app" }));
        var secret = Base32((await web.Page.Locator(".secret").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal).Trim());
        await web.Page.GetByLabel("Code from the app").FillAsync(Now(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }));
        await web.GoAsync("/ui/account");

        // A session alone (someone at an unlocked desk) cannot replace it.
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Replace the authenticator app" }));
        Assert.Contains("not right", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await web.Page.Locator("svg.qr").CountAsync());
        await web.CheckAsync("replace-refused");

        await web.Page.GetByLabel("Password").FillAsync(CaselineServer.Password);
        await web.Page.GetByLabel("Code from the app").FillAsync(Now(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Replace the authenticator app" }));
        Assert.Equal(1, await web.Page.Locator("svg.qr").CountAsync());

        // The code just used is used up; the next step's code removes the app.
        await web.GoAsync("/ui/account");
        await web.Page.GetByLabel("Password").FillAsync(CaselineServer.Password);
        await web.Page.GetByLabel("Code from the app").FillAsync(Now(secret));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Remove the authenticator app" }));
        Assert.Contains("not right", await web.Page.Locator(".error-summary").InnerTextAsync(), StringComparison.Ordinal);
        await web.Page.GetByLabel("Password").FillAsync(CaselineServer.Password);
        await web.Page.GetByLabel("Code from the app").FillAsync(Totp.Code(secret, (DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30) + 1));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Remove the authenticator app" }));
        Assert.Contains("removed", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Null(server.Execute($"SELECT totp_secret FROM users WHERE login = '{agency.Officer}'", readOnly: true) as string);
        Assert.Equal("Sign-in security", await web.Page.Locator("h1").InnerTextAsync()); // this session was kept
    }

    private static string Now(byte[] secret) => Totp.Code(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30);

    // A code no step near now has.
    private static string Wrong(byte[] secret)
    {
        var step = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 30;
        var near = new[] { -1, 0, 1, 2 }.Select(o => Totp.Code(secret, step + o)).ToHashSet();
        return Enumerable.Range(0, 10).Select(d => new string((char)('0' + d), 6)).First(c => !near.Contains(c));
    }

    private static byte[] Base32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }

        return [.. bytes];
    }
}
