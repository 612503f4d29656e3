using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Caseline.Client;
using Caseline.Messages;
using Caseline.Messages.Json;

namespace Caseline.Cli.Clients;

/// <summary><c>clients get|list|put</c>, <c>items put|delete</c>, <c>timeline</c> and <c>profile --as-of</c>.</summary>
internal static class ClientCommands
{
    private static readonly string[] Collections = [.. Section.All.Where(s => s.IsCollection).Select(s => s.CollectionName!)];

    public static IEnumerable<Command> Build(CommandFactory commands)
    {
        yield return CommandFactory.Group("clients", "Read and write client profiles", Get(commands), List(commands), Put(commands));
        yield return CommandFactory.Group("items", "Write one item of a profile: an address, a phone, a vehicle, an employer, a court case, a protective order",
            PutItem(commands), DeleteItem(commands));
        yield return Timeline(commands);
        yield return ProfileAsOf(commands);
    }

    private static Argument<string> ClientId() => new("client") { Description = "The client's IntegrationId (the agency's own identifier)" };

    private static Argument<string> Collection()
    {
        var collection = new Argument<string>("collection") { Description = "addresses, contacts, vehicles, employers, cases or protectiveOrders" };
        collection.AcceptOnlyFromAmong(Collections);
        return collection;
    }

    private static Command Get(CommandFactory commands)
    {
        var client = ClientId();
        return commands.Create("get", "A client's whole profile: every section and item", async (run, ct) =>
        {
            Rendering.WriteProfile(run, await Read(run, run.Required(client), null, ct).ConfigureAwait(false));
            return ExitCodes.Ok;
        }, client);
    }

    private static Command ProfileAsOf(CommandFactory commands)
    {
        var client = ClientId();
        var asOf = new Option<DateTimeOffset?>("--as-of") { Description = "The instant (ISO 8601, for example 2026-11-30T17:00:00Z; without an offset: UTC); default now" };
        return commands.Create("profile", "A client's profile as it stood at an instant, rebuilt from the log", async (run, ct) =>
        {
            var instant = run.Get(asOf);
            Rendering.WriteProfile(run, await Read(run, run.Required(client), instant is { } i && i.Offset == TimeSpan.Zero ? i : instant?.ToUniversalTime(), ct).ConfigureAwait(false));
            return ExitCodes.Ok;
        }, client, asOf);
    }

    private static async Task<ClientProfile> Read(Invocation run, string clientId, DateTimeOffset? asOf, CancellationToken ct) =>
        await run.Client.GetClientAsync(clientId, asOf, ct).ConfigureAwait(false)
        ?? throw new CliException(asOf is null ? $"There is no client {clientId}." : $"There was no client {clientId} at {asOf.Value.UtcDateTime:O}.");

    private static Command List(CommandFactory commands)
    {
        var name = new Option<string?>("--name") { Description = "Names or identifiers containing this (any case)" };
        var status = new Option<string?>("--status") { Description = "Active or Inactive" };
        var caseload = new Option<string?>("--caseload") { Description = "The assigned caseload" };
        var officer = new Option<string?>("--officer") { Description = "The assigned officer" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (default: every match)" };
        return commands.Create("list", "The agency's clients, in identifier order, optionally filtered", async (run, ct) =>
        {
            var query = new ClientQuery(run.Get(name), run.Get(status), run.Get(caseload), run.Get(officer));
            var max = run.Get(limit) ?? int.MaxValue;
            if (max < 1)
            {
                throw new CliException("--limit must be at least 1.", ExitCodes.Usage);
            }

            var table = Tables.Of("Client", "First name", "Last name", "Status", "Caseload", "Officer");
            var count = 0;
            await foreach (var summary in run.Client.ListClientsAsync(query, Math.Min(max, 500), ct).ConfigureAwait(false))
            {
                if (run.Json)
                {
                    run.WriteJson(summary, CliJsonContext.Default.ClientSummary);
                }
                else
                {
                    table.Row(summary.IntegrationId, summary.FirstName, summary.LastName, summary.Status, summary.AssignedCaseload, summary.AssignedOfficer);
                }

                if (++count >= max)
                {
                    break;
                }
            }

            if (!run.Json)
            {
                run.Write(table);
            }

            run.Status(count == 1 ? "1 client." : $"{count} clients.");
            return ExitCodes.Ok;
        }, name, status, caseload, officer, limit);
    }

    private static Command Put(CommandFactory commands)
    {
        var client = ClientId();
        var body = new BodyInput();
        return commands.Create("put", "Create a client or change its Personal, Account and Email Details: --file replaces each section it names whole; --set alone changes only the fields it names", async (run, ct) =>
        {
            var clientId = run.Required(client);
            var stored = body.FromFile(run) ? null : await run.Client.GetClientAsync(clientId, null, ct).ConfigureAwait(false);
            var input = SyncInput.ReadProfile(body.Read(run, stored is null ? null : OwnFields(stored)));
            if (input.Errors.Count > 0)
            {
                throw CliException.Invalid($"The profile of {clientId}", input.Errors);
            }

            var sections = new ClientSections(
                input.Present.OfType<PersonalDetails>().FirstOrDefault(), input.Present.OfType<AccountDetails>().FirstOrDefault(), input.Present.OfType<EmailDetails>().FirstOrDefault());
            var written = await run.Client.PutClientAsync(clientId, sections, ct).ConfigureAwait(false);
            run.Status(written.Created ? $"Created client {clientId}." : $"Saved client {clientId}.");
            Rendering.WriteProfile(run, written.Value);
            return ExitCodes.Ok;
        }, [client, .. body.Symbols]);
    }

    private static Command PutItem(CommandFactory commands)
    {
        var client = ClientId();
        var collection = Collection();
        var item = new Argument<string>("item") { Description = "The item's IntegrationId" };
        var body = new BodyInput();
        return commands.Create("put", "Create or replace one item", async (run, ct) =>
        {
            var section = Section.FindCollection(run.Required(collection))!;
            var itemId = run.Required(item);
            var clientId = run.Required(client);
            var sdk = run.Client;
            var stored = body.FromFile(run) ? null
                : (await sdk.GetClientAsync(clientId, null, ct).ConfigureAwait(false))?.Sections.OfType<ItemDetails>().FirstOrDefault(i => i.Section == section && i.IntegrationId == itemId);
            var (details, errors) = SyncInput.ReadSection(body.Read(run, stored is null ? null : Fields(stored)), section, itemId);
            if (details is null)
            {
                throw CliException.Invalid($"The {section.Name} {itemId}", errors);
            }

            var created = details switch
            {
                AddressDetails a => (await sdk.PutItemAsync(clientId, a, ct).ConfigureAwait(false)).Created,
                ContactDetails c => (await sdk.PutItemAsync(clientId, c, ct).ConfigureAwait(false)).Created,
                VehicleDetails v => (await sdk.PutItemAsync(clientId, v, ct).ConfigureAwait(false)).Created,
                EmploymentDetails e => (await sdk.PutItemAsync(clientId, e, ct).ConfigureAwait(false)).Created,
                CaseDetails c => (await sdk.PutItemAsync(clientId, c, ct).ConfigureAwait(false)).Created,
                ProtectiveOrderDetails p => (await sdk.PutItemAsync(clientId, p, ct).ConfigureAwait(false)).Created,
                _ => throw new InvalidOperationException($"{section.Name} is not an item section."),
            };
            run.Status($"{(created ? "Created" : "Saved")} {section.Name} {itemId} of client {clientId}.");
            if (run.Json)
            {
                run.WriteJson(details, MessageJsonContext.Default.SectionDetails);
            }
            else
            {
                run.Write(Tables.Of("Section", "Item", "Fields").Row(section.Name, itemId, Rendering.Fields(details)));
            }

            return ExitCodes.Ok;
        }, [client, collection, item, .. body.Symbols]);
    }

    /// <summary>A profile's Personal, Account and Email fields as a body.</summary>
    private static JsonObject OwnFields(ClientProfile profile)
    {
        var body = new JsonObject();
        foreach (var section in new SectionDetails[] { profile.Personal, profile.Account, profile.EmailDetails }.Where(s => !s.IsEmpty))
        {
            foreach (var (name, value) in Fields(section))
            {
                body[name] = value?.DeepClone();
            }
        }

        return body;
    }

    private static JsonObject Fields(SectionDetails details)
    {
        var fields = JsonNode.Parse(MessageWriter.DetailsToUtf8Bytes(details))!.AsObject();
        fields.Remove("SubType");
        return fields;
    }

    private static Command DeleteItem(CommandFactory commands)
    {
        var client = ClientId();
        var collection = Collection();
        var item = new Argument<string>("item") { Description = "The item's IntegrationId" };
        return commands.Create("delete", "Remove one item (emits its … Removed message)", async (run, ct) =>
        {
            var section = Section.FindCollection(run.Required(collection))!;
            var clientId = run.Required(client);
            var itemId = run.Required(item);
            var sdk = run.Client;
            var removed = section.DetailsType.Name switch
            {
                nameof(AddressDetails) => await sdk.DeleteItemAsync<AddressDetails>(clientId, itemId, ct).ConfigureAwait(false),
                nameof(ContactDetails) => await sdk.DeleteItemAsync<ContactDetails>(clientId, itemId, ct).ConfigureAwait(false),
                nameof(VehicleDetails) => await sdk.DeleteItemAsync<VehicleDetails>(clientId, itemId, ct).ConfigureAwait(false),
                nameof(EmploymentDetails) => await sdk.DeleteItemAsync<EmploymentDetails>(clientId, itemId, ct).ConfigureAwait(false),
                nameof(CaseDetails) => await sdk.DeleteItemAsync<CaseDetails>(clientId, itemId, ct).ConfigureAwait(false),
                nameof(ProtectiveOrderDetails) => await sdk.DeleteItemAsync<ProtectiveOrderDetails>(clientId, itemId, ct).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"{section.Name} is not an item section."),
            };
            if (!removed)
            {
                throw new CliException($"Client {clientId} has no {section.Name} {itemId}.");
            }

            run.Status($"Removed {section.Name} {itemId} of client {clientId}.");
            return ExitCodes.Ok;
        }, client, collection, item);
    }

    private static Command Timeline(CommandFactory commands)
    {
        var client = ClientId();
        var newestFirst = new Option<bool>("--newest-first") { Description = "Newest message first" };
        return commands.Create("timeline", "A client's messages in log order, each with what its section held", async (run, ct) =>
        {
            var items = new List<FeedItem>();
            await foreach (var item in run.Client.GetTimelineAsync(run.Required(client), 500, ct).ConfigureAwait(false))
            {
                items.Add(item);
            }

            if (run.Get(newestFirst))
            {
                items.Reverse();
            }

            if (run.Json)
            {
                items.ForEach(i => Rendering.WriteEntry(run.Host.RawOut, i));
            }
            else
            {
                run.Write(Rendering.Messages(items));
            }

            run.Status(string.Create(CultureInfo.InvariantCulture, $"{items.Count} messages."));
            return ExitCodes.Ok;
        }, client, newestFirst);
    }
}
