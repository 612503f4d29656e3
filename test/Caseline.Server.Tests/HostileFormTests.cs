using System.Net;
using System.Text;

namespace Caseline.Server.Tests;

/// <summary>
/// Forms no browser or OAuth client sends (a NUL, too many fields, a field name too long, a body over the limit),
/// posted to the token endpoint, the sign-in page and the API: each is refused with a 4xx in the shape its
/// endpoint speaks, and nothing is logged as a server error.
/// </summary>
public sealed class HostileFormTests(CaselineServer server) : IClassFixture<CaselineServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Unreadable => new()
    {
        "nul",
        "too many fields",
        "name too long",
        "too large",
    };

    /// <summary>The test server takes bodies up to 64 KiB.</summary>
    private static string Form(string kind, string fields) => kind switch
    {
        "nul" => fields.Replace("password=", "password=a%00b", StringComparison.Ordinal),
        "too many fields" => fields + string.Concat(Enumerable.Range(0, 1100).Select(i => $"&f{i}=x")),
        "name too long" => fields + "&" + new string('k', 3000) + "=x",
        "too large" => fields + "&padding=" + new string('a', 100 * 1024),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private async Task<HttpResponseMessage> PostForm(string path, string form)
    {
        using var http = server.CreateClient();
        return await http.PostAsync(path, new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);
    }

    private void AssertNoServerErrorSince(int logged) =>
        Assert.DoesNotContain(server.Logs.Skip(logged), line => line.StartsWith("Error ", StringComparison.Ordinal) || line.StartsWith("Critical ", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task An_unreadable_token_request_is_answered_as_an_oauth_invalid_request(string kind)
    {
        var logged = server.Logs.Count;
        var response = await PostForm("/identity/connect/token", Form(kind, "grant_type=password&client_id=caseline&username=someone@x.test&password=p"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var error = await response.ReadObject();
        Assert.Equal("invalid_request", (string?)error["error"]);
        Assert.False(string.IsNullOrEmpty((string?)error["error_description"]));
        AssertNoServerErrorSince(logged);
    }

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task An_unreadable_sign_in_form_gets_the_uis_own_page_for_a_refused_form(string kind)
    {
        var logged = server.Logs.Count;
        var response = await PostForm("/ui/signin", Form(kind, "login=someone@x.test&password=p"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("The request could not be accepted", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        AssertNoServerErrorSince(logged);
    }

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task An_unreadable_form_posted_to_the_api_is_a_problem_document(string kind)
    {
        var logged = server.Logs.Count;
        var response = await PostForm("/api/v1/clients", Form(kind, "FirstName=Ann&password=p"));

        var problem = await response.Problem(kind == "too large" ? 413 : 400);
        Assert.Contains("form", (string?)problem["title"], StringComparison.Ordinal);
        AssertNoServerErrorSince(logged);
    }

    [Fact]
    public async Task A_multipart_form_is_refused_before_any_file_in_it_is_buffered()
    {
        var logged = server.Logs.Count;
        using var http = server.CreateClient();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[100_000]), "file", "profiles.csv" } };

        var response = await http.PostAsync("/api/v1/clients", form, Ct);

        await response.Problem(415);
        AssertNoServerErrorSince(logged);
    }
}
