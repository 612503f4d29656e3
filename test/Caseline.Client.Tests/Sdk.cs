using Caseline.Server.Tests;

namespace Caseline.Client.Tests;

/// <summary>SDK clients for the real server's test users.</summary>
internal static class Sdk
{
    /// <summary>An SDK client signed in as <paramref name="user"/> of <paramref name="agency"/> (created on first use) with the first-party client and the password grant.</summary>
    public static async Task<CaselineClient> For(CaselineServer server, string agency, string user = "officer", Action<CaselineClientOptions>? configure = null)
    {
        (await server.ForAsync(agency, user)).Dispose();
        var options = new CaselineClientOptions
        {
            BaseAddress = server.Url,
            Credentials = CaselineCredentials.Password("caseline", null, CaselineServer.Login(agency, user), CaselineServer.Password),
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        return new CaselineClient(options);
    }

    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    public static async Task Until(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
