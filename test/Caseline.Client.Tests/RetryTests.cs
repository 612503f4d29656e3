using System.Net;
using Caseline.Messages;
using Caseline.Server.Tests;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Caseline.Client.Tests;

/// <summary>Retries, Retry-After and token renewal, with faults injected in front of the real server.</summary>
public sealed class RetryTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly Faults _faults = new();
    private CaselineServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = CaselineServer.With(
            new Dictionary<string, string> { ["Caseline:Identity:AccessTokenLifetime"] = "00:00:02" },
            services => services.AddSingleton<IStartupFilter>(_faults));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_read_answered_503_with_retry_after_is_retried_after_the_wait_and_succeeds()
    {
        var agency = CaselineServer.NewAgency();
        using var sdk = await Sdk.For(_server, agency);
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        _faults.Answer("GET", "/api/v1/clients/EX1", 503, times: 2, retryAfter: "1");
        var started = DateTime.UtcNow;

        var profile = await sdk.GetClientAsync("EX1", cancellationToken: Ct);

        Assert.Equal("a@b.co", profile!.Email);
        Assert.Equal(3, _faults.Count("GET", "/api/v1/clients/EX1"));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1.9), "Retry-After: 1 was not waited out, twice");
    }

    [Fact]
    public async Task Each_wait_for_a_retry_is_told_with_the_answer_and_the_servers_retry_after()
    {
        var told = new List<CaselineRetry>();
        using var sdk = await Sdk.For(_server, CaselineServer.NewAgency(), configure: o => o.OnRetry = told.Add);
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        _faults.Answer("GET", "/api/v1/clients/EX1", 429, retryAfter: "1");

        Assert.NotNull(await sdk.GetClientAsync("EX1", cancellationToken: Ct));

        var retry = Assert.Single(told);
        Assert.Equal(("GET", "/api/v1/clients/EX1", HttpStatusCode.TooManyRequests, 1, 5), (retry.Method.Method, retry.Path, retry.StatusCode, retry.Attempt, retry.MaxAttempts));
        Assert.Equal((TimeSpan.FromSeconds(1), true), (retry.Delay, retry.ServerAsked));
    }

    [Fact]
    public async Task A_create_is_not_repeated_after_a_5xx_that_may_have_landed_but_is_after_429()
    {
        using var sdk = await Sdk.For(_server, CaselineServer.NewAgency());
        _faults.Answer("POST", "/api/v1/clients", 503);

        var failed = await Assert.ThrowsAsync<CaselineException>(() => sdk.CreateClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct));
        Assert.True(failed.IsTransient);
        Assert.Equal(1, _faults.Count("POST", "/api/v1/clients"));

        _faults.Answer("POST", "/api/v1/clients", 429, retryAfter: "0");
        await sdk.CreateClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        Assert.Equal(3, _faults.Count("POST", "/api/v1/clients"));
    }

    [Fact]
    public async Task Retries_stop_after_the_attempts_allowed_and_a_long_retry_after_is_not_waited()
    {
        using var sdk = await Sdk.For(_server, CaselineServer.NewAgency(), configure: o => o.MaxAttempts = 3);
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        _faults.Answer("GET", "/api/v1/clients/EX1", 502, times: 10);

        var failed = await Assert.ThrowsAsync<CaselineException>(() => sdk.GetClientAsync("EX1", cancellationToken: Ct));
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Equal(3, _faults.Count("GET", "/api/v1/clients/EX1"));

        _faults.Answer("GET", "/api/v1/clients/EX2", 503, retryAfter: "3600");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Assert.ThrowsAsync<CaselineException>(() => sdk.GetClientAsync("EX2", cancellationToken: Ct))).StatusCode);
        Assert.Equal(1, _faults.Count("GET", "/api/v1/clients/EX2"));
    }

    [Fact]
    public async Task A_401_renews_the_token_once_and_a_short_lived_token_is_renewed_before_it_expires()
    {
        using var sdk = await Sdk.For(_server, CaselineServer.NewAgency());
        var fixtureLogons = _faults.Count("POST", "/identity/connect/token"); // the test user's creation signs in too
        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        Assert.Equal(1, sdk.TokensRequested);

        _faults.Answer("GET", "/api/v1/clients/EX1", 401);
        Assert.NotNull(await sdk.GetClientAsync("EX1", cancellationToken: Ct));
        Assert.Equal(2, sdk.TokensRequested);

        // Tokens live 2 s here: calls over 5 s keep succeeding, on tokens renewed ahead of their expiry.
        var until = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < until)
        {
            Assert.NotNull(await sdk.GetClientAsync("EX1", cancellationToken: Ct));
            await Task.Delay(100, Ct);
        }

        Assert.InRange(sdk.TokensRequested, 4, 8);
        Assert.Equal(sdk.TokensRequested, _faults.Count("POST", "/identity/connect/token") - fixtureLogons);
    }

    [Fact]
    public async Task A_second_401_after_renewing_is_thrown_as_an_authentication_failure()
    {
        using var sdk = await Sdk.For(_server, CaselineServer.NewAgency());
        _faults.Answer("GET", "/api/v1/clients/EX1", 401, times: 2);

        var refused = await Assert.ThrowsAsync<CaselineException>(() => sdk.GetClientAsync("EX1", cancellationToken: Ct));

        Assert.True(refused.IsAuthenticationFailure);
        Assert.Equal(2, _faults.Count("GET", "/api/v1/clients/EX1"));
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_a_transient_failure_after_the_attempts()
    {
        using var sdk = new CaselineClient(new CaselineClientOptions
        {
            BaseAddress = new Uri("http://127.0.0.1:9"),
            Credentials = CaselineCredentials.ClientCredentials("cms", "secret"),
            MaxAttempts = 2,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        });

        var failed = await Assert.ThrowsAsync<CaselineException>(() => sdk.GetClientAsync("EX1", cancellationToken: Ct));

        Assert.True(failed.IsTransient);
        Assert.Null(failed.StatusCode);
        Assert.IsType<HttpRequestException>(failed.InnerException);
    }
}
