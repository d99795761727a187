"""Build context/eval/heldout-tickets.json from the hand-written case lists.

    python3 context/eval/src/build.py

Deterministic: the same sources always give the same file. Every case gets its own
fictional customer (unique email address or phone number)."""

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import answerable  # noqa: E402
import not_found  # noqa: E402
import other  # noqa: E402
import triggers  # noqa: E402
from common import CHANNELS  # noqa: E402

OUT = HERE.parent / "heldout-tickets.json"

FIRST = """Aarav Abena Adaeze Adrian Agnieszka Ahmed Aiko Aisling Alejandro Aleksander Alibek Amara Ana Anders Andrea
Anika Annika Arjun Astrid Aylin Babajide Barbara Beatriz Benedikt Bianca Bilal Björn Bogdan Bruno Camila Carmen
Catalina Chidi Chloé Chen Clara Colm Dagny Daniel Dariusz Deepa Defne Diego Dimitra Dmitri Eamon Eitan Elif Elena
Emeka Emil Emma Esra Ethan Fatima Felipe Femi Fiona Florian Francesca Freya Gabriel Giulia Gonzalo Greta Hamid
Hana Hannah Haruto Hassan Heike Helga Hiroshi Ibrahim Ida Ifeoma Ilse Imani Ines Ingrid Irina Isabel Ivan Jakub
Jana Javier Jelena Joana Johan Jonas Jorge Julia Julien Kai Kalinda Kamal Karin Kasia Katarzyna Kemal Kenji Kiran
Klara Kofi Laila Lars Laura Leila Leon Lina Liam Lorenzo Lucía Luis Maarten Magnus Maja Malik Manon Marek Mariam
Marisol Marta Mateo Matías Maya Mehmet Mei Mia Mihai Mika Milan Mina Miriam Mohammed Naledi Nadia Naomi Nasrin
Neha Nikhil Nils Noor Nora Oisín Olga Oliver Olumide Omar Oskar Pablo Paola Patrik Paulina Pedro Petra Pieter
Pooja Priya Rafael Rahel Rania Rasmus Ravi Rebecca Reza Rhys Rosa Ruth Sadia Saanvi Samir Sanna Santiago Sara
Sebastián Selin Seo-yeon Shira Siddharth Sigrid Simone Sofia Søren Stella Sunita Svetlana Tamar Tariq Teodora
Thabo Theo Tiago Tomasz Tove Ugo Valentina Vera Viktor Wanjiru Wei Wiebke Xavier Yara Yasmin Yuki Yusuf Zainab
Zeynep Zofia""".split()

LAST = """Abara Achterberg Adeyemi Ahlberg Akhtar Albrecht Alves Amsel Andersen Anwar Arslan Asante Bakker Balogun
Banerjee Barros Bauer Becker Bergström Bianchi Blomqvist Bosch Brennan Brandt Caldeira Carvalho Castellanos
Chaudhry Chowdhury Ciobanu Costa Czerwińska Dahl Dalton Dasgupta de_Vries Delacroix Demir Desai Dimitrov Dobson
Domínguez Dubois Duarte Ekström Eze Falk Farouk Fernández Ferreira Fischer Fitzgerald Fonseca Fontaine Fraser
Gallo Garnier Ghosh Gómez Grünewald Gupta Haddad Halvorsen Hansen Hartmann Hashemi Hayes Herrera Hoffmann Holm
Horvath Hussain Ibáñez Iqbal Ivanova Jablonski Jansen Jovanović Kagame Kaplan Karlsson Kaur Kawasaki Keller
Khalil Kim Kiplagat Kovač Kowalski Krüger Kumar Lambert Larsen Laurent Lehmann Lindqvist Lopes Lund Macharia
Madsen Mahlangu Maier Mancini Marchetti Martins Mazur Mbeki Mehta Mendes Meyer Moreau Morales Mukherjee Müller
Murphy Nakamura Navarro Ndlovu Nguyen Nielsen Novak Nowak Nyberg Obi O'Connor Okafor Okonkwo Oliveira Olsen
Osei Özdemir Pacheco Park Patel Pereira Petrov Pham Popescu Quinn Rahman Ramírez Rao Reyes Ribeiro Richter Rossi
Ruiz Sahin Salazar Santos Sato Schmidt Schneider Serrano Shah Silva Sokolova Stein Suzuki Svensson Szabó
Takahashi Tanaka Teixeira Thorsen Tkachenko Torres Tran Uchenna Urbański van_Dijk Varga Vasquez Vogel Wagner
Walsh Weber Wiśniewska Yamamoto Yildiz Yilmaz Zhang Ziegler Zimmermann""".split()
LAST = [x.replace("_", " ") for x in LAST]

CO_A = """Northwind Bluefern Copperleaf Driftwood Emberline Fjordlight Granite Harbourview Ironbark Juniper Kestrel
Lakeside Meadowlark Nimbus Oakridge Pinecrest Quillstone Riverbend Saltmarsh Tidewater Umberfield Vantage
Willowbrook Yellowpine Zephyr Alder Brightwater Cedarpoint Dunmore Eastgate Foxglove Greywell Hollybush Islay
Kingsmere Larkspur Marigold Northgate Orchard Pebblebrook Redwater Silverline Thornbury Upland Vireo Westmarch
Amberly Birchwood Cobalt Dovetail Elmstead Fernhill Goldcrest Heron Indigo Jasper Kelpie Lumen Mistral Nettle
Opaline Pennant Quarry Rookery Sorrel Tamarind Verdant Wrenfield Yarrow Zinnia""".split()
CO_B = ["Studio", "Labs", "Logistics", "Consulting", "Digital", "Health", "Architects", "Media", "Engineering",
        "Partners", "Foods", "Analytics", "Robotics", "Travel", "Legal", "Events", "Energy", "Design", "Software",
        "Retail", "Creative", "Ventures", "Systems", "Clinic", "Education"]
PERSONAL = ["mailbox.example", "inbox.example", "post.example", "freemail.example", "webmail.example",
            "home.example", "mymail.example"]

# Senders whose organisation is named in the message itself.
ORG_OVERRIDES = {
    "Request from police": ("Regional Fraud Unit", "fraud-unit.police.example"),
    "CCPA deletion request on behalf of a client": ("Privacy Rights Services", "privacy-rights.example"),
    "University licence": ("University of Westhaven", "westhaven-university.example"),
}

PHONE_PREFIXES = ["+447700900", "+1202555", "+61491570", "+4915901", "+3361234", "+3460012", "+31612",
                  "+5511955", "+919800", "+27825", "+254712", "+4670123", "+35387", "+48501",
                  "+39347", "+8190123", "+52155", "+2348031", "+90532", "+64211"]


def ascii_slug(s):
    table = str.maketrans("áàäâãåçéèëêíìïîñóòöôõøúùüûýßłśźżćńęąšžčćđğışøæ",
                          "aaaaaaceeeeiiiinoooooouuuuyslszzcneaszccdgisoa")
    s = s.lower().translate(table).replace("'", "")
    return re.sub(r"[^a-z0-9]+", "", s)


def main():
    rng = random.Random(20250611)
    cases = answerable.CASES + not_found.CASES + triggers.CASES + other.CASES
    rng.shuffle(cases)

    # unique people
    pairs = [(f, l) for f in FIRST for l in LAST]
    rng.shuffle(pairs)
    seen_first_last = set()
    people = []
    for f, l in pairs:
        if (f, l) in seen_first_last:
            continue
        seen_first_last.add((f, l))
        people.append((f, l))
        if len(people) >= len(cases):
            break

    companies = [(f"{a} {b}", f"{ascii_slug(a)}-{ascii_slug(b)}.example") for a in CO_A for b in CO_B]
    rng.shuffle(companies)

    used_addr, used_phone = set(), set()
    out = []
    for i, (c, (first, last)) in enumerate(zip(cases, people), start=1):
        name = f"{first} {last}"
        co, domain = companies[i]
        if c["subject"] in ORG_OVERRIDES:
            co, domain = ORG_OVERRIDES[c["subject"]]
        channel = CHANNELS[c["ch"]]
        text = c["content"]
        business = any(p in text for p in ("[CO]", "[DOMAIN]")) or rng.random() < 0.6
        text = (text.replace("[FIRST]", first).replace("[NAME]", name)
                .replace("[CO]", co).replace("[DOMAIN]", domain))
        assert "[" not in text or "](" in text, text

        t = {"id": f"H{i:03d}", "channel": channel}
        if channel == "whatsapp":
            while True:
                pre = rng.choice(PHONE_PREFIXES)
                phone = pre + "".join(str(rng.randrange(10)) for _ in range(max(3, 12 - (len(pre) - 1))))
                if phone not in used_phone:
                    break
            used_phone.add(phone)
            t["customer_phone"] = phone
        else:
            fs, ls = ascii_slug(first), ascii_slug(last)
            if business:
                local = rng.choice([f"{fs}.{ls}", f"{fs[0]}{ls}", f"{fs}", f"{fs}_{ls}", f"{ls}.{fs}"])
                addr = f"{local}@{domain}"
            else:
                local = rng.choice([f"{fs}.{ls}", f"{fs}{ls}{rng.randrange(10, 99)}", f"{fs}.{ls[0]}",
                                    f"{ls}{fs[0]}", f"{fs}-{ls}"])
                addr = f"{local}@{rng.choice(PERSONAL)}"
            while addr in used_addr:
                addr = addr.replace("@", f"{rng.randrange(10)}@")
            used_addr.add(addr)
            t["customer_email"] = addr
        t["customer_name"] = name if (channel != "whatsapp" or rng.random() < 0.6) else first
        if channel != "whatsapp":
            t["subject"] = c["subject"]
        t["content"] = text
        t["expected_action"] = c["expected_action"]
        if c["expected_action"] == "escalate":
            t["escalation_reason"] = c["escalation_reason"]
        if c.get("expected_article"):
            t["expected_article"] = c["expected_article"]
            t["expected_fact"] = c["expected_fact"]
        t["kind"] = c["kind"]
        out.append(t)

    OUT.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(out)} cases to {OUT}")


if __name__ == "__main__":
    main()
