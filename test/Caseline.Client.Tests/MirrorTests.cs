using System.Text.Json;
using System.Text.Json.Nodes;
using Caseline.Client.Mirror;
using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Tests;
using Microsoft.Data.Sqlite;

namespace Caseline.Client.Tests;

/// <summary>The profile mirror against the real server: after any writes, it holds what <c>GET</c> answers.</summary>
public sealed class MirrorTests(CaselineServer server) : IClassFixture<CaselineServer>, IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _folder = Directory.CreateTempSubdirectory("caseline-mirror-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task After_random_writes_and_deletes_the_mirror_equals_the_servers_profiles_and_replays_change_nothing()
    {
        var agency = CaselineServer.NewAgency();
        using var sdk = await Sdk.For(server, agency);
        using var http = await server.ForAsync(agency);
        var random = new Random(12);
        var clients = Enumerable.Range(0, 6).Select(i => $"EX{i}").ToArray();
        foreach (var client in clients)
        {
            await sdk.PutClientAsync(client, new ClientSections(new PersonalDetails("Ann", client, null, null, null, null, null, null)), Ct);
        }

        using var mirror = ProfileMirror.Open(Path.Combine(_folder, "mirror.db"));
        for (var step = 0; step < 300; step++)
        {
            var client = clients[random.Next(clients.Length)];
            var item = $"I{random.Next(4)}";
            switch (random.Next(7))
            {
                case 0:
                    await sdk.PutClientAsync(client, new ClientSections(Account: new AccountDetails(random.Next(2) == 0 ? "Active" : "Inactive", $"L{random.Next(3)}", null)), Ct);
                    break;
                case 1:
                    await sdk.PutClientAsync(client, new ClientSections(Email: new EmailDetails($"c{random.Next(5)}@example.org")), Ct);
                    break;
                case 2:
                    await sdk.PutItemAsync(client, new AddressDetails(item, "Home", $"{random.Next(9)} Main St"), Ct);
                    break;
                case 3:
                    await sdk.PutItemAsync(client, new CaseDetails(item, $"CR-{random.Next(9)}", null, "Open", [new Offense("Theft", null, null, null, random.Next(2) == 0)]), Ct);
                    break;
                case 4:
                    await sdk.PutItemAsync(client, new VehicleDetails(item, "Ford", null, $"{2000 + random.Next(20)}", null, null), Ct);
                    break;
                default:
                    await sdk.DeleteItemAsync<AddressDetails>(client, item, Ct);
                    await sdk.DeleteItemAsync<CaseDetails>(client, item, Ct);
                    break;
            }

            if (step % 97 == 0)
            {
                await mirror.CatchUpAsync(sdk, cancellationToken: Ct); // catch up part way too, not only once at the end
            }
        }

        await mirror.CatchUpAsync(sdk, cancellationToken: Ct);
        Assert.Equal(server.Log(agency).Count, mirror.Position);
        await AssertEqualToServer(mirror, http, clients);

        // Everything again, out of order and twice: older states never win.
        var feed = await sdk.ReadFeedAsync(cancellationToken: Ct).ToListAsync();
        mirror.Apply(Enumerable.Reverse(feed).Concat(feed));
        await AssertEqualToServer(mirror, http, clients);

        Assert.Equal(feed.Count, await mirror.RebuildAsync(sdk, Ct));
        await AssertEqualToServer(mirror, http, clients);
        Assert.Equal(clients, mirror.ClientIds());
        Assert.Null(mirror.GetProfile("NOPE"));
    }

    [Fact]
    public async Task A_following_mirror_applies_new_messages_as_they_commit()
    {
        var agency = CaselineServer.NewAgency();
        using var sdk = await Sdk.For(server, agency);
        using var mirror = ProfileMirror.Open(Path.Combine(_folder, "follow.db"));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var following = mirror.CatchUpAsync(sdk, follow: true, stop.Token);

        await sdk.PutClientAsync("EX1", new ClientSections(Email: new EmailDetails("a@b.co")), Ct);
        await sdk.PutItemAsync("EX1", new AddressDetails("H", "Home", "1 Main St"), Ct);
        await Sdk.Until(() => mirror.GetProfile("EX1")?.Addresses.Count == 1, "the mirror to follow");
        await stop.CancelAsync();

        Assert.Equal(2, await following);
        Assert.Equal("a@b.co", mirror.GetProfile("EX1")!.Email);
    }

    /// <summary>The mirror holds each client exactly as <c>GET /api/v1/clients/{id}</c> answers it.</summary>
    internal static async Task AssertEqualToServer(ProfileMirror mirror, HttpClient http, string[] clients)
    {
        foreach (var client in clients)
        {
            var expected = JsonNode.Parse(await (await http.GetAsync($"/api/v1/clients/{client}", Ct)).Content.ReadAsStringAsync(Ct));
            var actual = JsonNode.Parse(JsonSerializer.Serialize(mirror.GetProfile(client), MessageJsonContext.Default.ClientProfile));
            Assert.True(JsonNode.DeepEquals(expected, actual), $"{client}: server {expected?.ToJsonString()} mirror {actual?.ToJsonString()}");
        }
    }
}
