"""Demo world for debt_collection, loaded by demo/collection_portfolio_demo.xml.

Fifty debtors from Colombia, Bulgaria, the United Kingdom and Spain spread
over three portfolios:

* an internal portfolio built, through the real invoice synchronisation, from
  posted customer invoices created here (some with a three-date payment term,
  one partly paid before the sync, one fully and one partly paid after it);
* an external portfolio of a Colombian bank (company currency);
* an external portfolio of a Bulgarian district-heating utility, in EUR.

Cases are distributed by the supervisor between the four demo collectors and
their teams, a few stay unassigned, some have their next action today or
overdue, two are closed (written off, returned to the creditor), and every
installment state appears. Everything is deterministic (``random.Random(42)``)
and dated relative to today.

Debtors, creditors, portfolios and external cases get XML ids
(``debt_collection.res_partner_demo_*``, ``collection_portfolio_demo_*``,
``collection_case_demo_*``) so tests and tours can refer to them.
"""

import logging
import random
from datetime import datetime
from datetime import time
from datetime import timedelta

from odoo import Command
from odoo import api
from odoo import fields
from odoo import models

_logger = logging.getLogger(__name__)

XMLID = "debt_collection.%s"

# --------------------------------------------------------------------------
# Debtors: (key, name, city, zip, street, mobile, landline, email, vat)
# Individuals have a mobile; companies (keys ending in "_co") a landline.
# --------------------------------------------------------------------------
# fmt: off
DEBTORS_CO = [
    ("co_juan_restrepo", "Juan Carlos Restrepo Gómez", "Medellín", "050021", "Calle 10 # 43D-25",
     "+57 312 6018159", None, "jc.restrepo@example.com", "1007959371-0"),
    ("co_luz_ospina", "Luz Marina Ospina Cardona", "Pereira", "660003", "Carrera 7 # 19-28",
     "+57 300 1661318", None, "luzmospina@example.com", None),
    ("co_andres_castano", "Andrés Felipe Castaño Ríos", "Bogotá", "110231", "Calle 127 # 15-40 Apto 502",
     "+57 321 3909960", "+57 601 3456789", "andres.castano@example.com", "1085876826-6"),
    ("co_diana_vargas", "Diana Carolina Vargas Pardo", "Bogotá", "111321", "Carrera 68 # 24-15",
     "+57 322 4628194", None, "dianavargas@example.net", None),
    ("co_carlos_montoya", "Carlos Alberto Montoya Henao", "Medellín", "050034", "Circular 4 # 70-12",
     "+57 303 1948757", None, None, None),
    ("co_paola_jimenez", "Paola Andrea Jiménez Rojas", "Cali", "760042", "Avenida 6N # 23-50",
     "+57 301 8625276", None, "paola.jimenez@example.com", "1099105949-7"),
    ("co_jhon_arango", "Jhon Fredy Arango Zapata", "Medellín", "050012", "Calle 50 # 65-31",
     "+57 317 1049746", None, None, None),
    ("co_natalia_suarez", "Natalia Suárez Beltrán", "Bucaramanga", "680003", "Carrera 27 # 36-14",
     "+57 315 2917034", None, "nsuarezb@example.org", None),
    ("co_oscar_moreno", "Óscar Iván Moreno Quintero", "Cali", "760035", "Calle 5 # 38-76",
     "+57 316 7127684", "+57 602 4853321", "oscar.moreno@example.com", None),
    ("co_yolanda_patino", "Yolanda Patiño de Rincón", "Bogotá", "111611", "Transversal 93 # 63B-11",
     "+57 324 6563212", None, None, "1096572458-3"),
    ("co_sebastian_mejia", "Sebastián Mejía Londoño", "Manizales", "170004", "Calle 65 # 23-40",
     "+57 323 0792440", None, "sebas.mejia@example.com", None),
    ("co_claudia_herrera", "Claudia Patricia Herrera Díaz", "Barranquilla", "080020", "Carrera 53 # 76-120",
     "+57 316 6617603", None, "claudia.herrera@example.net", None),
    ("co_hector_valencia", "Héctor Fabio Valencia Mosquera", "Cali", "760001", "Carrera 1 # 8-45",
     "+57 312 1590109", None, None, None),
    ("co_marisol_cardenas", "Marisol Cárdenas Ortiz", "Cartagena", "130001", "Calle del Cuartel # 36-77",
     "+57 305 9013962", None, "marisolcardenas@example.com", None),
    ("co_wilson_torres", "Wilson Hernán Torres Bermúdez", "Bogotá", "110821", "Calle 80 # 100-52",
     "+57 301 5472803", None, None, None),
    ("co_adriana_pena", "Adriana Lucía Peña Salazar", "Bogotá", "110111", "Carrera 11 # 93-07",
     "+57 317 5513137", None, "adriana.pena@example.org", None),
    ("co_fabian_gutierrez", "Fabián Ricardo Gutiérrez Cruz", "Villavicencio", "500001", "Calle 37 # 29-60",
     "+57 312 6516761", None, None, None),
    ("co_sandra_ruiz", "Sandra Milena Ruiz Acosta", "Medellín", "050026", "Carrera 80 # 32-18",
     "+57 300 2972997", None, "sandra.ruiz@example.com", None),
    ("co_el_paisa_co", "Distribuciones El Paisa S.A.S.", "Medellín", "050015", "Carrera 52 # 14-200 Bodega 3",
     None, "+57 604 4441234", "cartera@elpaisa.example.com", "903500986-8"),
    ("co_la_esquina_co", "Ferretería La Esquina Ltda.", "Bogotá", "111411", "Avenida Calle 13 # 65-21",
     None, "+57 601 4127856", "contabilidad@laesquina.example.com", "902410865-5"),
]
DEBTORS_BG = [
    ("bg_georgi_petrov", "Георги Иванов Петров", "София", "1324", "ж.к. Люлин 5, бл. 512, вх. Б, ап. 34",
     "+359 89 807 2902", None, "georgi.petrov@example.com", None),
    ("bg_maria_stoyanova", "Мария Димитрова Стоянова", "София", "1784", "ж.к. Младост 1, бл. 12, вх. А, ап. 7",
     "+359 89 180 5888", None, "maria.stoyanova@example.com", None),
    ("bg_nikolay_georgiev", "Николай Тодоров Георгиев", "София", "1407", "ул. Хенрик Ибсен 15, ап. 3",
     "+359 88 334 0187", None, None, None),
    ("bg_elena_nikolova", "Елена Христова Николова", "София", "1510", "ж.к. Дружба 2, бл. 215, ап. 61",
     "+359 87 598 9834", "+359 2 981 2345", "e.nikolova@example.net", None),
    ("bg_dimitar_kolev", "Димитър Стефанов Колев", "София", "1680", "ж.к. Борово, бл. 7, вх. В, ап. 48",
     "+359 87 838 4837", None, None, None),
    ("bg_svetlana_angelova", "Светлана Петкова Ангелова", "София", "1404", "ж.к. Стрелбище, бл. 44, ап. 12",
     "+359 87 751 3613", None, "svetlana.angelova@example.com", None),
    ("bg_hristo_marinov", "Христо Василев Маринов", "София", "1330", "ж.к. Красна поляна 3, бл. 322, ап. 90",
     "+359 89 524 2731", None, None, None),
    ("bg_yordanka_kostova", "Йорданка Илиева Костова", "София", "1172", "ж.к. Дианабад, бл. 36, ап. 5",
     "+359 89 326 8656", None, "yordanka.kostova@example.org", None),
    ("bg_stoyan_atanasov", "Стоян Методиев Атанасов", "София", "1574", "ж.к. Слатина, ул. Гео Милев 101",
     "+359 88 505 8770", None, None, None),
    ("bg_veselina_tsvetkova", "Веселина Борисова Цветкова", "София", "1712", "ж.к. Младост 3, бл. 325, ап. 18",
     "+359 89 481 1311", None, "veselina.ts@example.com", None),
    ("bg_plamen_dimov", "Пламен Кирилов Димов", "София", "1220", "ж.к. Надежда 1, бл. 133, ап. 27",
     "+359 88 426 4628", None, None, None),
    ("bg_radostina_pavlova", "Радостина Емилова Павлова", "София", "1415", "ж.к. Гоце Делчев, бл. 18, ап. 40",
     "+359 89 514 0261", None, "radostina.pavlova@example.com", None),
    ("bg_krasimir_genov", "Красимир Любомиров Генов", "София", "1528", "ж.к. Овча купел 2, бл. 9, ап. 71",
     "+359 87 193 1417", None, None, None),
    ("bg_tsvetelina_yaneva", "Цветелина Огнянова Янева", "София", "1113", "ул. Шипченски проход 52, ап. 16",
     "+359 87 492 0831", None, "ts.yaneva@example.net", None),
    ("bg_boyko_slavov", "Бойко Райков Славов", "София", "1618", "кв. Бояна, ул. Кумата 21",
     "+359 88 344 8347", None, None, None),
    ("bg_desislava_krasteva", "Десислава Младенова Кръстева", "София", "1797", "ж.к. Студентски град, бл. 58",
     "+359 87 040 0088", None, "desi.krasteva@example.com", None),
    ("bg_ivan_naydenov", "Иван Асенов Найденов", "София", "1303", "ул. Пиротска 64, ет. 3",
     "+359 88 716 7868", None, None, None),
    ("bg_vitosha_co", "Витоша Хотелс ЕООД", "София", "1000", "бул. Витоша 98",
     None, "+359 2 987 6543", "office@vitoshahotels.example.com", "BG299123224"),
]
DEBTORS_INTERNAL = [
    ("gb_northwind_co", "Northwind Catering Ltd", "GB", "Birmingham", "B1 2JP", "45 Broad Street",
     None, "+44 121 496 0123", "accounts@northwind-catering.example.com", "GB213622446"),
    ("gb_harbour_lane_co", "Harbour Lane Studios Ltd", "GB", "London", "E14 9GE", "Unit 4, 12 Harbour Exchange Square",
     None, "+44 20 7946 0123", "finance@harbourlane.example.co.uk", "GB134227733"),
    ("gb_oliver_bennett", "Oliver Bennett", "GB", "London", "N1 9GU", "14 Caledonian Road",
     "+44 7435 205617", None, "oliver.bennett@example.co.uk", None),
    ("gb_charlotte_hughes", "Charlotte Hughes", "GB", "Manchester", "M4 1HN", "3 Thomas Street",
     "+44 7380 141269", None, "charlotte.hughes@example.com", None),
    ("gb_james_whitaker", "James Whitaker", "GB", "Leeds", "LS6 2AB", "88 Headingley Lane",
     "+44 7724 920868", "+44 113 496 0456", "j.whitaker@example.co.uk", None),
    ("gb_emily_carter", "Emily Carter", "GB", "Bristol", "BS8 1TH", "27 Whiteladies Road",
     "+44 7931 002516", None, "emily.carter@example.com", None),
    ("es_talleres_ibarra_co", "Talleres Mecánicos Ibarra S.L.", "ES", "Bilbao", "48013", "Calle Autonomía 42",
     None, "+34 944 123 456", "administracion@talleresibarra.example.es", "ESB88310677"),
    ("es_lucia_martinez", "Lucía Martínez Fernández", "ES", "Madrid", "28015", "Calle de Fuencarral 120, 3º B",
     "+34 633 19 12 84", None, "lucia.martinez@example.es", "ES12213878G"),
    ("es_javier_lopez", "Javier López García", "ES", "Valencia", "46004", "Gran Vía Marqués del Turia 33",
     "+34 615 37 76 02", None, "javier.lopez@example.com", None),
    ("es_carmen_ruiz", "Carmen Ruiz Navarro", "ES", "Sevilla", "41003", "Avenida de la Buhaira 18, 2º A",
     "+34 664 26 56 51", "+34 911 234 567", "carmen.ruiz@example.es", "ES37576283X"),
    ("bg_balkan_logistic_co", "Балкан Логистик ООД", "BG", "София", "1528", "бул. Искърско шосе 7",
     None, "+359 2 961 7700", "accounting@balkanlogistic.example.bg", "BG203767243"),
    ("bg_trakia_agro_co", "Тракия Агро ЕООД", "BG", "Пловдив", "4003", "бул. Христо Ботев 56",
     None, "+359 32 624 123", "office@trakiaagro.example.bg", "BG276107730"),
]
# fmt: on

# Internal invoices: (debtor key, days since the invoice date, payment term, lines)
# payment term: "3" = the demo 30/30/40 % term, or an account payment term xml id
INVOICES = [
    ("gb_northwind_co", 180, "3", [("Event catering equipment rental", 1, 3200.0), ("Delivery and set-up", 1, 1600.0)]),
    ("gb_northwind_co", 35, "account.account_payment_term_30days", [("Cold-room maintenance, quarterly", 1, 1250.0)]),
    ("gb_harbour_lane_co", 150, "3", [("Studio lighting rig", 2, 3900.0), ("Installation", 12, 150.0)]),
    ("gb_oliver_bennett", 95, "account.account_payment_term_immediate", [("Home network installation", 1, 420.0)]),
    ("gb_charlotte_hughes", 60, "account.account_payment_term_15days", [("Laptop repair and data recovery", 1, 310.0)]),
    ("gb_james_whitaker", 200, "account.account_payment_term_immediate", [("Annual support plan", 1, 1150.0)]),
    ("gb_james_whitaker", 75, "account.account_payment_term_30days", [("On-site support, hours", 8, 80.0)]),
    ("gb_emily_carter", 25, "account.account_payment_term_immediate", [("Printer and toner bundle", 1, 275.0)]),
    ("es_talleres_ibarra_co", 120, "3", [("Diagnostic equipment", 1, 6500.0), ("Operator training", 1, 850.0)]),
    ("es_lucia_martinez", 45, "3", [("Kitchen appliance set", 1, 1980.0)]),
    ("es_javier_lopez", 70, "account.account_payment_term_30days", [("Office furniture", 4, 215.0)]),
    ("es_carmen_ruiz", 110, "account.account_payment_term_immediate", [("Consulting services", 6, 88.5)]),
    ("bg_balkan_logistic_co", 90, "account.account_payment_term_30days", [("Fleet GPS trackers", 18, 300.0)]),
    ("bg_balkan_logistic_co", 40, "account.account_payment_term_15days", [("GPS tracking subscription", 1, 2100.0)]),
    ("bg_trakia_agro_co", 160, "3", [("Irrigation controller", 3, 3200.0), ("Commissioning", 1, 2400.0)]),
]

# Banco Andino products: (label, contract prefix, min and max installment, loan term in months)
BANK_PRODUCTS = [
    ("Tarjeta de crédito Visa Clásica", "VISA ****", 45.0, 260.0, 12),
    ("Crédito de libre inversión", "CLI-", 120.0, 480.0, 36),
    ("Crédito de vehículo", "VEH-", 350.0, 900.0, 60),
    ("Crédito de libranza", "LIB-", 90.0, 300.0, 48),
]


class CollectionPortfolio(models.Model):
    _inherit = "collection.portfolio"

    @api.model
    def _create_demo_world(self):
        """Build the demo debtors, portfolios, cases and invoices (see module docstring)."""
        if self.env.ref(XMLID % "collection_portfolio_demo_internal", raise_if_not_found=False):
            return
        demo = self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True
        )
        rng = random.Random(42)
        today = fields.Date.context_today(self)
        company = self.env.company
        eur = self.env.ref("base.EUR")
        if not eur.active:
            eur.active = True

        debtors = demo._demo_create_debtors()
        creditors = demo._demo_load(
            "res.partner",
            [
                (
                    "res_partner_demo_banco_andino",
                    {
                        "name": "Banco Andino S.A.",
                        "is_company": True,
                        "country_id": self.env.ref("base.co").id,
                        "city": "Bogotá",
                        "zip": "110221",
                        "street": "Carrera 7 # 71-21 Torre B",
                        "phone": "+57 601 7442100",
                        "email": "recuperacion@bancoandino.example.com",
                        "vat": "901702264-9",
                    },
                ),
                (
                    "res_partner_demo_toplofikatsia",
                    {
                        "name": "Toplofikatsia Sofia EAD",
                        "is_company": True,
                        "country_id": self.env.ref("base.bg").id,
                        "city": "София",
                        "zip": "1680",
                        "street": "ул. Ястребец 23Б",
                        "phone": "+359 2 949 2700",
                        "email": "collections@toplo.example.bg",
                        "vat": "BG204128654",
                    },
                ),
            ],
        )
        team_latam = self.env.ref("debt_collection.collection_team_latam")
        team_europe = self.env.ref("debt_collection.collection_team_europe")
        internal, andino, toplo = demo._demo_load(
            "collection.portfolio",
            [
                (
                    "collection_portfolio_demo_internal",
                    {
                        "name": "Own receivables",
                        "code": "INT",
                        "kind": "internal",
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "team_id": team_europe.id,
                        "load_date": today - timedelta(days=200),
                        "state": "active",
                    },
                ),
                (
                    "collection_portfolio_demo_banco_andino",
                    {
                        "name": "Banco Andino - consumer loans, batch 2",
                        "code": "BA-LOTE-02",
                        "kind": "external",
                        "creditor_id": creditors[0].id,
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "commission_rate": 18.0,
                        "team_id": team_latam.id,
                        "load_date": today - timedelta(days=40),
                        "state": "active",
                        # debtors may ask on the portal for up to 6 monthly installments, 15 % off if paid at once
                        "relief_max_installments": 6,
                        "relief_band_ids": [
                            Command.create({"max_installments": 1, "condonation_percent": 15.0}),
                            Command.create({"max_installments": 3, "condonation_percent": 5.0}),
                        ],
                        "note": "<p>Consumer credit up to 210 days past due, assigned for six months.</p>",
                    },
                ),
                (
                    "collection_portfolio_demo_toplofikatsia",
                    {
                        "name": "Toplofikatsia Sofia - heating season arrears",
                        "code": "TS-2025-11",
                        "kind": "external",
                        "creditor_id": creditors[1].id,
                        "company_id": company.id,
                        "currency_id": eur.id,
                        "commission_rate": 12.5,
                        "team_id": team_europe.id,
                        "load_date": today - timedelta(days=25),
                        "state": "active",
                        "note": "<p>Unpaid district heating and hot water bills of Sofia households.</p>",
                    },
                ),
            ],
        )
        andino_cases = demo._demo_bank_cases(andino, debtors, rng, today)
        toplo_cases = demo._demo_utility_cases(toplo, debtors, rng, today)
        internal_cases = demo._demo_internal_cases(internal, debtors, today)
        demo._demo_distribute(andino_cases, toplo_cases, internal_cases, debtors, rng, today)
        demo._demo_work_list(andino_cases, toplo_cases, today)
        demo._demo_interactions(andino_cases, toplo_cases, today)
        demo._demo_payments(andino_cases, internal_cases, today)
        Case = demo.env["collection.case"]
        Case._refresh_aging()
        # the Standard strategy's first run: proposals, letters to print, tasks
        Case._run_strategies()
        Case._refresh_work_tier()
        Case._plan_today()
        # the month's snapshot: KPIs, roll rates and the dashboard have figures from the start
        demo.env["collection.case.snapshot"]._take()

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _demo_load(self, model, records):
        """Create ``records`` (pairs of xml id name and values) in one batch
        and give them their ``debt_collection.`` xml ids."""
        return self.env[model]._load_records(
            [{"xml_id": XMLID % name, "values": values, "noupdate": True} for name, values in records]
        )

    @api.model
    def _demo_create_debtors(self):
        countries = {c.code: c.id for c in self.env["res.country"].search([("code", "in", ["CO", "BG", "GB", "ES"])])}
        # rows as (country, key, name, city, zip, street, mobile, landline, email, vat)
        rows = (
            [("CO", *row) for row in DEBTORS_CO]
            + [("BG", *row) for row in DEBTORS_BG]
            + [(row[2], *row[:2], *row[3:]) for row in DEBTORS_INTERNAL]
        )
        # Colombian debtors authorised these channels (Ley 2300 contacts them through no other)
        authorised = [
            self.env.ref(f"debt_collection.collection_channel_{code}").id
            for code in ("call", "sms", "whatsapp", "email")
        ]
        records = []
        for country, key, name, city, zip_code, street, mobile, phone, email, vat in rows:
            records.append(
                (
                    f"res_partner_demo_{key}",
                    {
                        "name": name,
                        "is_company": key.endswith("_co"),
                        "country_id": countries[country],
                        "city": city,
                        "zip": zip_code,
                        "street": street,
                        "mobile": mobile or False,
                        "phone": phone or False,
                        "email": email or False,
                        "vat": vat or False,
                        "collection_channel_ids": [Command.set(authorised if country == "CO" else [])],
                    },
                )
            )
        partners = self._demo_load("res.partner", records)
        return {row[1]: partner for row, partner in zip(rows, partners, strict=True)}

    @api.model
    def _demo_installments(self, rng, today, first_due, count, low, high, name_fn, contract):
        """Monthly installments from ``first_due`` days ago; past ones are
        sometimes paid or partly paid (never the last one)."""
        commands = []
        for index in range(count):
            date_due = today - timedelta(days=first_due - 30 * index)
            amount = round(rng.uniform(low, high), 2)
            paid = 0.0
            if date_due < today and index < count - 1:
                draw = rng.random()
                if draw < 0.12:
                    paid = amount
                elif draw < 0.27:
                    paid = round(amount * rng.uniform(0.2, 0.7), 2)
            commands.append(
                Command.create(
                    {
                        "name": name_fn(index, date_due),
                        "sequence": index + 1,
                        "date_due": date_due,
                        "amount": amount,
                        "amount_paid": paid,
                        "contract_ref": contract,
                    }
                )
            )
        return commands

    @api.model
    def _demo_bank_cases(self, portfolio, debtors, rng, today):
        records = []
        for number, (key, *_rest) in enumerate(DEBTORS_CO, start=1):
            label, prefix, low, high, term = BANK_PRODUCTS[rng.randrange(len(BANK_PRODUCTS))]
            contract = f"{label} {prefix}{rng.randint(1000, 9999)}"
            count = rng.randint(2, 6)
            first_due = rng.randint(-12, 210)
            start = rng.randint(1, term - count)
            vals = {
                "portfolio_id": portfolio.id,
                "partner_id": debtors[key].id,
                "team_id": portfolio.team_id.id,
                "external_ref": f"BA-{rng.randint(10000000, 99999999)}",
                "installment_ids": self._demo_installments(
                    rng,
                    today,
                    first_due,
                    count,
                    low,
                    high,
                    lambda index, _date, start=start, term=term: f"Cuota {start + index}/{term}",
                    contract,
                ),
            }
            if number == 5:
                # refinanced balance replaced by a three-installment payment agreement
                vals["installment_ids"] = [
                    Command.create(
                        {
                            "name": "Saldo tarjeta de crédito (refinanciado)",
                            "sequence": 1,
                            "date_due": today - timedelta(days=150),
                            "amount": 1860.0,
                            "state": "refinanced",
                            "contract_ref": contract,
                        }
                    ),
                    *(
                        Command.create(
                            {
                                "name": f"Acuerdo de pago {index + 1}/3",
                                "sequence": index + 2,
                                "date_due": today - timedelta(days=40 - 30 * index),
                                "amount": 620.0,
                                "amount_paid": 620.0 if index == 0 else 0.0,
                                "contract_ref": contract,
                            }
                        )
                        for index in range(3)
                    ),
                ]
            elif number == 8:
                # late-payment interest condoned by the bank
                vals["installment_ids"].append(
                    Command.create(
                        {
                            "name": "Intereses de mora",
                            "sequence": 99,
                            "date_due": today - timedelta(days=first_due),
                            "amount": 74.3,
                            "state": "written_off",
                            "contract_ref": contract,
                        }
                    )
                )
            records.append((f"collection_case_demo_andino_{number:02d}", vals))
        return self._demo_load("collection.case", records)

    @api.model
    def _demo_utility_cases(self, portfolio, debtors, rng, today):
        records = []
        for number, (key, *_rest) in enumerate(DEBTORS_BG, start=1):
            is_company = key.endswith("_co")
            count = rng.randint(2, 7)
            first_due = rng.randint(10, 200)
            subscriber = rng.randint(100000, 999999)
            low, high = (650.0, 2400.0) if is_company else (35.0, 190.0)

            def bill_name(_index, date_due):
                month = date_due.replace(day=1) - timedelta(days=1)
                return f"District heating bill {month.month:02d}/{month.year}"

            vals = {
                "portfolio_id": portfolio.id,
                "partner_id": debtors[key].id,
                "team_id": portfolio.team_id.id,
                "external_ref": f"TS-{subscriber}",
                "installment_ids": self._demo_installments(
                    rng, today, first_due, count, low, high, bill_name, f"Subscriber no. {subscriber}"
                ),
            }
            if number == 3:
                # a bill issued twice by mistake, cancelled by the creditor
                vals["installment_ids"].append(
                    Command.create(
                        {
                            "name": "District heating bill (duplicate, cancelled)",
                            "sequence": 99,
                            "date_due": today - timedelta(days=first_due),
                            "amount": 96.4,
                            "state": "cancelled",
                            "contract_ref": f"Subscriber no. {subscriber}",
                        }
                    )
                )
            records.append((f"collection_case_demo_toplofikatsia_{number:02d}", vals))
        return self._demo_load("collection.case", records)

    @api.model
    def _demo_internal_cases(self, portfolio, debtors, today):
        """Post the demo customer invoices, pay one partly before the sync,
        synchronise the internal portfolio, then pay one invoice fully and
        another partly in Accounting: the installments follow."""
        company = portfolio.company_id
        if not self.env["account.journal"].search_count(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        ):
            _logger.info("No sales journal in %s: demo invoices are not created.", company.name)
            return self.env["collection.case"]
        term_3 = self._demo_load(
            "account.payment.term",
            [
                (
                    "account_payment_term_demo_30_60_90",
                    {
                        "name": "30% / 30% / 40% at 30, 60, 90 days",
                        "company_id": company.id,
                        "line_ids": [
                            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 30}),
                            Command.create({"value": "percent", "value_amount": 30.0, "nb_days": 60}),
                            Command.create({"value": "percent", "value_amount": 40.0, "nb_days": 90}),
                        ],
                    },
                )
            ],
        )
        salesperson = self.env.ref("base.user_admin")
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "partner_id": debtors[key].id,
                    "invoice_user_id": salesperson.id,
                    "invoice_date": today - timedelta(days=days),
                    "invoice_payment_term_id": term_3.id if term == "3" else self.env.ref(term).id,
                    "invoice_line_ids": [
                        Command.create({"name": name, "quantity": qty, "price_unit": price, "tax_ids": []})
                        for name, qty, price in lines
                    ],
                }
                for key, days, term, lines in INVOICES
            ]
        )
        invoices.action_post()
        by_partner = invoices.grouped("partner_id")
        harbour = by_partner[debtors["gb_harbour_lane_co"]]
        emily = by_partner[debtors["gb_emily_carter"]]
        carmen = by_partner[debtors["es_carmen_ruiz"]]
        # 40 % paid: the first due date is settled, the second one partly
        self._demo_register_payment(harbour, harbour.amount_total * 0.4, today - timedelta(days=100))
        portfolio._sync_invoices()
        self._demo_register_payment(emily, emily.amount_residual, today - timedelta(days=2))
        self._demo_register_payment(carmen, 200.0, today - timedelta(days=12))
        return portfolio.case_ids

    @api.model
    def _demo_register_payment(self, invoice, amount, date):
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": invoice.currency_id.round(amount), "payment_date": date})
            ._create_payments()
        )

    @api.model
    def _demo_distribute(self, andino_cases, toplo_cases, internal_cases, debtors, rng, today):
        """The supervisor distributes the cases (a few stay unassigned); then
        two closures, next actions and manual stages."""
        maria = self.env.ref("debt_collection.user_collector_maria")
        jorge = self.env.ref("debt_collection.user_collector_jorge")
        ivan = self.env.ref("debt_collection.user_collector_ivan")
        sarah = self.env.ref("debt_collection.user_collector_sarah")
        supervisor = self.env.ref("debt_collection.user_collection_supervisor")
        demo_partners = self.env["res.partner"].concat(*debtors.values())
        # the last two of the bank, and the last of the utility, wait for distribution
        plan = {
            maria: andino_cases[0:18:2],
            jorge: andino_cases[1:18:2],
            ivan: toplo_cases[:11] | internal_cases.filtered(lambda c: c.partner_id.country_id.code == "BG"),
            sarah: toplo_cases[11:17]
            | internal_cases.filtered(
                lambda c: c.partner_id in demo_partners and c.partner_id.country_id.code in ("GB", "ES")
            ),
        }
        Case = (
            self.env["collection.case"].with_user(supervisor).with_context(collection_assignment_reason="distribution")
        )
        for user, cases in plan.items():
            Case.browse(cases.ids).write({"user_id": user.id})

        # a small utility debt written off, a bank debtor returned to the creditor
        written_off = toplo_cases[16]
        written_off._close("written_off", note="Debtor deceased; the creditor approved the write-off.")
        written_off.installment_ids.filtered(lambda i: i.state in ("pending", "partial")).write(
            {"state": "written_off"}
        )
        andino_cases[13]._close("returned", note="Debtor disputes the contract; returned to Banco Andino.")

        cases = (andino_cases | toplo_cases | internal_cases).filtered(lambda c: c.state == "open")
        assigned = cases.filtered("user_id")
        offsets = [0, 0, 0, -1, -3, -6, 1, 2, 4, 7, 14, None, None]
        by_date = {}
        for case in assigned:
            offset = offsets[rng.randrange(len(offsets))]
            if offset is not None:
                by_date.setdefault(today + timedelta(days=offset), []).append(case.id)
        for date, case_ids in by_date.items():
            self.env["collection.case"].browse(case_ids).write({"next_action_date": date})

        oldest = andino_cases.filtered(lambda c: c.state == "open" and c.user_id).sorted("days_overdue", reverse=True)
        oldest[:2].write({"stage_id": self.env.ref("debt_collection.collection_stage_prelegal").id})
        toplo_old = toplo_cases.filtered(lambda c: c.state == "open" and c.user_id).sorted("days_overdue", reverse=True)
        toplo_old[:1].write({"stage_id": self.env.ref("debt_collection.collection_stage_litigation").id})

    @api.model
    def _demo_work_list(self, andino_cases, toplo_cases, today):
        """Promises (due today, overdue, broken this week, kept) and a
        resubmission, so the work list and the team overview have something
        to order and count."""
        maria = self.env.ref("debt_collection.user_collector_maria")
        jorge = self.env.ref("debt_collection.user_collector_jorge")
        ivan = self.env.ref("debt_collection.user_collector_ivan")
        maria_cases = andino_cases.filtered(lambda c: c.user_id == maria and c.state == "open")
        jorge_cases = andino_cases.filtered(lambda c: c.user_id == jorge and c.state == "open")
        # (case, collector, days from today, share of the balance promised)
        promised = [
            (maria_cases[0], maria, 0, 0.5),
            (maria_cases[1], maria, -2, 1.0),
            (jorge_cases[0], jorge, 5, 0.3),
            (jorge_cases[1], jorge, -4, 0.25),
            (jorge_cases[2], jorge, -20, 0.2),
        ]
        promises = self.env["collection.promise"].create(
            [
                {
                    "case_id": case.id,
                    "user_id": user.id,
                    "date_promise": today + timedelta(days=days),
                    "date_made": today + timedelta(days=min(days, 0) - 5),
                    "amount": case.currency_id.round(case.amount_residual * share),
                }
                for case, user, days, share in promised
            ]
        )
        promises[3].write({"state": "broken", "date_closed": today})
        promises[4].write(
            {"state": "kept", "amount_kept": promises[4].amount, "date_closed": today - timedelta(days=15)}
        )
        ivan_case = toplo_cases.filtered(lambda c: c.user_id == ivan and c.state == "open")[:1]
        ivan_case.write(
            {
                "resubmission_date": today + timedelta(days=2),
                "resubmission_user_id": ivan.id,
                "resubmission_note": "Debtor abroad until the end of the week.",
            }
        )

    @api.model
    def _demo_interactions(self, andino_cases, toplo_cases, today):
        """A few days of calls on the collectors' cases (at hours the
        debtors' contact policy allows), a wrong number, a call-back, a
        dispute in review and a debtor who asked not to be contacted."""
        ref = self.env.ref
        call = ref("debt_collection.collection_channel_call")
        results = {
            code: ref(f"debt_collection.collection_result_{code}")
            for code in ("no_answer", "contacted", "voicemail", "wrong_number", "callback", "dispute")
        }
        Interaction = self.env["collection.interaction"]
        maria = ref("debt_collection.user_collector_maria")
        ivan = ref("debt_collection.user_collector_ivan")
        worked = andino_cases.filtered(lambda c: c.user_id == maria and c.state == "open")[2:6]
        script = ["no_answer", "voicemail", "contacted"]
        for case in worked:
            for days_ago, code in zip((6, 4, 2), script, strict=True):
                start = self._demo_allowed_time(case, call, today - timedelta(days=days_ago))
                if start:
                    Interaction.with_user(maria).create(
                        {
                            "case_id": case.id,
                            "channel_id": call.id,
                            "result_id": results[code].id,
                            "date_start": start,
                            "date_end": start + timedelta(minutes=3),
                            "phone": case.partner_id.mobile or case.partner_id.phone,
                            "note": "Spoke with the debtor, sends the receipt by WhatsApp"
                            if code == "contacted"
                            else False,
                        }
                    )
        ivan_cases = toplo_cases.filtered(lambda c: c.user_id == ivan and c.state == "open")
        if len(ivan_cases) >= 3:
            wrong, callback, disputed = ivan_cases[:3]
            yesterday = today - timedelta(days=1)
            start = datetime.combine(yesterday, time(9, 0))
            Interaction.with_user(ivan).create(
                {
                    "case_id": wrong.id,
                    "channel_id": call.id,
                    "result_id": results["wrong_number"].id,
                    "date_start": start,
                    "date_end": start + timedelta(minutes=1),
                    "phone": wrong.partner_id.mobile or wrong.partner_id.phone,
                    "note": "The number belongs to somebody else now",
                }
            )
            Interaction.with_user(ivan).create(
                {
                    "case_id": callback.id,
                    "channel_id": call.id,
                    "result_id": results["callback"].id,
                    "date_start": start + timedelta(hours=1),
                    "date_end": start + timedelta(hours=1, minutes=2),
                    "callback_date": datetime.combine(today, time(14, 0)),
                    "phone": callback.partner_id.mobile or callback.partner_id.phone,
                    "note": "At work, call back after lunch",
                }
            )
            oldest = disputed.installment_ids.filtered(lambda i: i.state in ("pending", "partial")).sorted("date_due")[
                :1
            ]
            interaction = Interaction.with_user(ivan).create(
                {
                    "case_id": disputed.id,
                    "channel_id": call.id,
                    "result_id": results["dispute"].id,
                    "date_start": start + timedelta(hours=2),
                    "date_end": start + timedelta(hours=2, minutes=6),
                    "phone": disputed.partner_id.mobile or disputed.partner_id.phone,
                    "note": "Says the meter reading of this bill is wrong",
                    "dispute_ids": [
                        Command.create(
                            {
                                "case_id": disputed.id,
                                "reason_id": ref("debt_collection.collection_dispute_reason_amount").id,
                                "installment_ids": [Command.set(oldest.ids)],
                                "description": "Meter reading disputed; asks for a check of the meter.",
                            }
                        )
                    ],
                }
            )
            interaction.dispute_ids.with_user(ref("debt_collection.user_collection_supervisor")).action_review()
        quiet = andino_cases.filtered(lambda c: c.state == "open" and not c.user_id)[:1]
        quiet.partner_id.collection_do_not_contact = True

    @api.model
    def _demo_allowed_time(self, case, channel, day):
        """The first hour of ``day`` (then of the days before) at which the
        case's contact policy allows a contact, or None within a week."""
        for back in range(7):
            for hour in range(12, 22):
                start = datetime.combine(day - timedelta(days=back), time(hour, 0))
                verdict = case._contact_verdict(channel.code, start)[0]
                if verdict.allowed:
                    return start
        return None

    @api.model
    def _demo_payments(self, andino_cases, internal_cases, today):
        """Payments collected (one cancelled, one on an own invoice through
        accounting) and payment agreements: one running, one waiting for the
        supervisor's approval."""
        ref = self.env.ref
        Journal = self.env["account.journal"]
        company = self.env.company
        company.write(
            {
                "collection_journal_cash_id": Journal.search(
                    [("type", "=", "cash"), ("company_id", "=", company.id)], limit=1
                ).id,
                "collection_journal_transfer_id": Journal.search(
                    [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
                ).id,
            }
        )
        maria = ref("debt_collection.user_collector_maria")
        jorge = ref("debt_collection.user_collector_jorge")
        supervisor = ref("debt_collection.user_collection_supervisor")
        Payment = self.env["collection.payment"]
        maria_cases = andino_cases.filtered(lambda c: c.user_id == maria and c.state == "open")
        for case, days, method, share in ((maria_cases[-1:], 3, "cash", 0.5), (maria_cases[-2:-1], 1, "transfer", 0.3)):
            if case:
                Payment.with_user(maria).create(
                    {
                        "case_id": case.id,
                        "date": today - timedelta(days=days),
                        "method": method,
                        "amount": case.currency_id.round(case.amount_overdue * share) or 10.0,
                        "reference": "Consignación 88231" if method == "transfer" else False,
                    }
                ).action_post()
        bounced = maria_cases[-3:-2]
        if bounced:
            cheque = Payment.with_user(maria).create(
                {"case_id": bounced.id, "method": "cheque", "amount": 50.0, "reference": "Cheque 000412"}
            )
            cheque.action_post()
            cheque.with_user(supervisor).with_context(cancel_reason="Cheque returned by the bank").action_cancel()
        internal = internal_cases.filtered(lambda c: c.state == "open" and c.user_id)[:1]
        if internal and company.collection_journal_transfer_id:
            Payment.with_user(internal.user_id).create(
                {
                    "case_id": internal.id,
                    "method": "transfer",
                    "amount": internal.currency_id.round(internal.amount_overdue / 3),
                }
            ).action_post()
        Agreement = self.env["collection.agreement"]
        jorge_cases = andino_cases.filtered(lambda c: c.user_id == jorge and c.state == "open")[3:5]
        for case, condonation in zip(jorge_cases, (0.0, 10.0), strict=False):
            open_installments = case.installment_ids.filtered(lambda i: i.state in ("pending", "partial"))
            agreement = Agreement.with_user(jorge).create(
                {
                    "case_id": case.id,
                    "replaced_installment_ids": [Command.set(open_installments.ids)],
                    "installment_count": 4 if condonation else 3,
                    "condonation_type": "percent",
                    "condonation_value": condonation,
                    "first_due_date": today + timedelta(days=15),
                    "note": "Debtor lost his job in March; new one from next month.",
                }
            )
            agreement.action_submit()
            if not condonation and agreement.state == "to_approve":
                agreement.with_user(supervisor).action_approve()
