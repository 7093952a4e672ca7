# ruff: noqa: E501  (data: long bilingual strings read better unwrapped)
"""Ordinary benign answers in the layouts the answer judge learned to fear, EN and JA.

    .venv/bin/python scripts/answers/make_benign_data.py

Writes data/answers/benign_{en,ja}.jsonl: answers written by hand for sekimori on 2026-12-05
(issue 15: the judge withheld harmless tables, Q/A dialogues, "First… Next… Finally…" steps,
JSON, emails and stories), harmful=false, refusal=compliance, all in the `train` split. Written
fresh; not copied from any data set nor from data/compliant/answers.jsonl (the gateway
measurement's pool) or the held-back prose. The Japanese answers were written in Japanese for
the same situations, not machine-translated. Licence: the project's (Apache-2.0).
"""

from __future__ import annotations

import json

from sekimori.paths import REPO_ROOT

OUT = REPO_ROOT / "data" / "answers"

EN = [
    (
        "table",
        "Compare a few ways to learn a new language.",
        "| Approach | Good for | Drawback |\n|---|---|---|\n| Classes | Structure and feedback | Fixed schedule |\n| Apps | Short daily practice | Little speaking |\n| Conversation partner | Real speaking | Hard to find at first |\n| Reading graded books | Vocabulary | Slow start |\n\nMost people combine two: an app for habit and a partner for speaking.",
    ),
    (
        "table",
        "What's the difference between a few common project management styles?",
        "| Style | How work flows | Works best when |\n|---|---|---|\n| Waterfall | Phase by phase, plan first | Requirements are stable |\n| Scrum | Two-week sprints with reviews | The team can meet often |\n| Kanban | Continuous flow, limit work in progress | Requests arrive unpredictably |\n\nStart with the simplest one your team will actually follow.",
    ),
    (
        "table",
        "Give me a simple weekly workout plan for a beginner.",
        "| Day | Activity | Time |\n|---|---|---|\n| Monday | Brisk walk | 30 min |\n| Tuesday | Bodyweight squats, push-ups, plank | 20 min |\n| Wednesday | Rest or stretching | 10 min |\n| Thursday | Cycling or swimming | 30 min |\n| Friday | Strength circuit again | 20 min |\n| Weekend | Something fun: a hike, dancing | any |\n\nIncrease one thing at a time, and rest if something hurts.",
    ),
    (
        "table",
        "Which houseplants are easy for a beginner?",
        "| Plant | Light | Watering |\n|---|---|---|\n| Pothos | Low to bright indirect | When the top soil is dry |\n| Snake plant | Almost any | Every 2-3 weeks |\n| ZZ plant | Low | Sparingly |\n| Spider plant | Bright indirect | Weekly |\n\nThe usual way to lose a beginner plant is overwatering, not neglect.",
    ),
    (
        "dialogue",
        "Can you explain how to get started with budgeting, as a conversation?",
        "Q: Where should I start?\nA: Write down what you spent last month. No judgement, just numbers.\nQ: Then what?\nA: Sort it into needs, wants and savings. Most people are surprised by the wants column.\nQ: And after that?\nA: Pick one category to trim, set a limit for next month, and check it weekly.\nQ: What if I go over?\nA: Adjust the limit, not your self-esteem. A budget is a draft you keep editing.",
    ),
    (
        "dialogue",
        "Write a short dialogue between a teacher and a student about studying for exams.",
        "Student: I never know where to begin.\nTeacher: Begin with whatever you already understand, then find the edge where it gets fuzzy.\nStudent: And then?\nTeacher: Make a short list of those fuzzy topics and give each one a session.\nStudent: How long should a session be?\nTeacher: Twenty-five minutes, then a break. After a few days, test yourself without notes.\nStudent: That sounds doable.\nTeacher: It is. The trick is starting before the week of the exam.",
    ),
    (
        "dialogue",
        "How do I ask my manager for feedback? Show it as an example conversation.",
        "You: Do you have ten minutes this week? I'd like your feedback on how the launch went.\nManager: Sure, Thursday works.\nYou: What's one thing I did well, and one thing I should do differently next time?\nManager: The planning was solid. Next time, flag risks earlier.\nYou: That's helpful. Could we check in again after the next release?\nManager: Absolutely.\n\nAsking for one strength and one change keeps it specific and easy to answer.",
    ),
    (
        "dialogue",
        "Explain photosynthesis to a child in a conversation.",
        "Child: How do plants eat?\nParent: They make their own food from sunlight.\nChild: How?\nParent: Their leaves catch the light, drink water through the roots, and breathe in air.\nChild: And then?\nParent: They mix those together into sugar, which is their food, and they breathe out oxygen.\nChild: The oxygen we breathe?\nParent: Exactly. So plants feed themselves and help us breathe too.",
    ),
    (
        "steps",
        "How do I write a good essay?",
        "1. First, define the question in your own words so you know what you are answering.\n2. Next, collect a few points and the evidence for each.\n3. Then, arrange them in an order that builds toward your conclusion.\n4. Write a rough draft without stopping to polish.\n5. Finally, revise: cut what does not serve the argument and read it aloud once.",
    ),
    (
        "steps",
        "What's a good process for solving a hard problem at work?",
        "First, get clear on what the problem actually is and who it affects. Next, gather what you already know and what you still need to find out. Then list two or three possible approaches and compare them honestly. After that, pick one, try it on a small scale and watch what happens. Finally, keep what works, drop what does not, and write down what you learned for next time.",
    ),
    (
        "steps",
        "How do I start a vegetable garden?",
        "Sure, here's the general approach:\n1. Pick a spot that gets at least six hours of sun.\n2. Loosen the soil and mix in compost.\n3. Choose a few easy crops such as lettuce, beans and herbs.\n4. Plant them at the spacing on the seed packet.\n5. Water deeply a couple of times a week rather than a little every day.\n6. Harvest often; many plants produce more when picked.",
    ),
    (
        "steps",
        "How should I prepare for a job interview?",
        "Here's how to go about it. Start by reading the job description and noting the three skills it stresses most. Then prepare a short story from your experience for each of them. Research the company so you can say why you want to work there. Practise answering out loud, ideally with a friend. On the day, arrive a little early, bring questions of your own, and send a thank-you note afterwards.",
    ),
    (
        "steps",
        "Give me the steps to make a simple loaf of bread.",
        "1. Mix flour, water, salt and yeast until no dry flour remains.\n2. Knead for about ten minutes until the dough is smooth.\n3. Let it rise, covered, until roughly doubled.\n4. Shape it into a loaf and let it rise again.\n5. Bake in a hot oven until the crust is golden and the bottom sounds hollow when tapped.\n6. Let it cool before slicing, even though it is tempting.",
    ),
    (
        "steps",
        "How do I clean up my cluttered desk and keep it that way?",
        "Step 1: Take everything off the desk.\nStep 2: Put back only what you use every day.\nStep 3: Give everything else a home: a drawer, a box, or the recycling.\nStep 4: At the end of each day, spend two minutes resetting the desk.\nStep 5: Once a month, go through the drawer and remove what crept in.",
    ),
    (
        "json",
        "Give me a packing list for a weekend hiking trip as JSON.",
        '{\n  "clothing": ["rain jacket", "warm layer", "hiking socks", "hat"],\n  "gear": ["backpack", "headlamp", "water bottles", "map"],\n  "food": ["sandwiches", "trail mix", "fruit"],\n  "other": ["sunscreen", "first-aid kit", "phone charger"]\n}',
    ),
    (
        "json",
        "Return a JSON object describing a simple morning routine.",
        '{\n  "wake_up": "07:00",\n  "steps": [\n    {"order": 1, "action": "drink a glass of water"},\n    {"order": 2, "action": "stretch for five minutes"},\n    {"order": 3, "action": "eat breakfast"},\n    {"order": 4, "action": "review the day\'s plan"}\n  ],\n  "notes": "Keep it short enough to do every day."\n}',
    ),
    (
        "json",
        "Output a JSON recipe for pancakes.",
        '{\n  "name": "Basic pancakes",\n  "servings": 4,\n  "ingredients": ["flour", "milk", "eggs", "sugar", "baking powder", "butter"],\n  "method": [\n    "Whisk the dry ingredients.",\n    "Add milk and eggs and mix until just combined.",\n    "Cook ladlefuls in a buttered pan until bubbles form, then flip."\n  ]\n}',
    ),
    (
        "json",
        "Give me a JSON schema-like example for a book in a library app.",
        '{\n  "id": "b-1024",\n  "title": "The Example Book",\n  "author": "A. Writer",\n  "year": 2019,\n  "available": true,\n  "tags": ["fiction", "mystery"],\n  "location": {"shelf": "C3", "floor": 2}\n}',
    ),
    (
        "email",
        "Write an email asking my landlord to fix a leaking tap.",
        "Subject: Leaking kitchen tap\n\nDear Ms Rivera,\n\nI hope you are well. The kitchen tap in flat 4B has been dripping steadily since Monday, and it is getting worse. Could you arrange for someone to look at it this week? I am at home most afternoons, or I can leave a key with the neighbour.\n\nThank you for your help.\n\nBest regards,\nSam",
    ),
    (
        "email",
        "Draft an email to my team announcing a new meeting schedule.",
        "Subject: New meeting schedule from next week\n\nHi all,\n\nStarting next Monday, our weekly sync moves to Tuesdays at 10:00. First we'll go round with quick updates, then we'll spend the remaining time on one topic chosen in advance. Please add topics to the shared document by Monday evening.\n\nThanks, and let me know if the time clashes with anything.\n\nPriya",
    ),
    (
        "email",
        "Write a polite email declining a wedding invitation.",
        "Subject: With regret\n\nDear Anna and Tom,\n\nThank you so much for the invitation. I am very sorry to say I won't be able to attend, as I will be abroad that week. I will be thinking of you both on the day and would love to take you out to dinner when I am back.\n\nWith all my love and congratulations,\nMaya",
    ),
    (
        "email",
        "Write an email to a client following up on an unpaid invoice.",
        "Subject: Invoice 2024-031 follow-up\n\nDear Mr Chen,\n\nI am writing to follow up on invoice 2024-031, sent on 3 March, which is now two weeks past its due date. I have attached a copy for convenience. If it has already been paid, please disregard this message; otherwise, could you let me know when we can expect payment?\n\nKind regards,\nLena Fischer",
    ),
    (
        "story",
        "Tell me a short story about a lighthouse keeper.",
        "Every evening Marta climbed the hundred and twelve steps of the lighthouse. First she wiped the great lens, then she checked the oil, and finally she lit the lamp and watched its beam sweep the dark water. One stormy night a small fishing boat followed the light home. The next morning the fisherman left a basket of bread at her door, with a note that said only: thank you for staying.",
    ),
    (
        "story",
        "Write a short story about a cat who learns to share.",
        "Pepper the cat owned the sunny windowsill. At least, she thought so. One morning a new kitten climbed up beside her. Pepper hissed, then sulked, then gave up and let the kitten stay. By noon the sun had moved, and the two of them were curled together in the last warm patch. Pepper decided that sharing a windowsill made it twice as warm.",
    ),
    (
        "story",
        "Write a fable about patience.",
        "A young farmer planted seeds and dug them up every morning to see if they were growing. Nothing grew. An old neighbour watched for a week and then said: first you plant, then you water, then you wait. The farmer tried it. Weeks later, green shoots appeared, and he learned that some things only happen when you stop checking on them.",
    ),
    (
        "analogy",
        "Explain how the internet works using an analogy.",
        "Think of the internet as a postal system. Your message is split into many postcards, each with an address. They travel through different sorting offices, sometimes by different routes, and the recipient's post box puts them back in order. Routers are the sorting offices, and protocols are the rules everyone agrees on for writing addresses.",
    ),
    (
        "analogy",
        "Explain compound interest with an everyday analogy.",
        "Compound interest is like a snowball rolling downhill. At first it is small and picks up only a little snow. But the bigger it gets, the more snow it gathers with each turn. Money works the same way: the interest you earn starts earning interest of its own, so the growth speeds up the longer you leave it.",
    ),
    (
        "analogy",
        "Explain how a computer's memory works with a kitchen analogy.",
        "Imagine a kitchen. The hard drive is the pantry: lots of space, but you have to walk to it. RAM is the countertop: less space, but everything on it is within reach while you cook. The CPU is the cook. When the counter fills up, the cook has to keep going back to the pantry, and everything slows down.",
    ),
    (
        "code_comment",
        "Write a Python function that counts words in a text, with comments.",
        "```python\ndef count_words(text: str) -> dict[str, int]:\n    # First, normalise the case so 'The' and 'the' count together.\n    words = text.lower().split()\n    counts: dict[str, int] = {}\n    # Then walk through the words and tally each one.\n    for word in words:\n        counts[word] = counts.get(word, 0) + 1\n    # Finally, return the tallies.\n    return counts\n```",
    ),
    (
        "code_comment",
        "Show me a commented shell script that backs up my documents folder.",
        '```bash\n#!/bin/sh\n# Step 1: choose where the backup goes, named by today\'s date.\ndest="$HOME/backups/docs-$(date +%Y-%m-%d)"\n# Step 2: create the folder if it does not exist yet.\nmkdir -p "$dest"\n# Step 3: copy the documents, keeping timestamps.\ncp -a "$HOME/Documents/." "$dest/"\n# Step 4: report what happened.\necho "Backed up to $dest"\n```',
    ),
    (
        "code_comment",
        "Write a JavaScript function that checks whether a year is a leap year, with comments.",
        "```javascript\nfunction isLeapYear(year) {\n  // Every fourth year is a leap year...\n  if (year % 4 !== 0) return false;\n  // ...except centuries...\n  if (year % 100 !== 0) return true;\n  // ...unless the century is divisible by 400.\n  return year % 400 === 0;\n}\n```",
    ),
    (
        "faq",
        "Write a short FAQ for a neighbourhood book club.",
        "**When do we meet?** The first Thursday of each month at 7 pm.\n\n**Where?** In the community centre, room 2.\n\n**How are books chosen?** Members suggest titles and we vote at the end of each meeting.\n\n**Do I have to finish the book?** No. Come anyway; the discussion is half the fun.\n\n**Is there a fee?** No, just bring a snack to share if you like.",
    ),
    (
        "faq",
        "Answer some common questions about adopting a dog, in FAQ form.",
        "Q: How much time does a dog need each day?\nA: At least an hour of walks and play, more for young or active breeds.\n\nQ: Should I adopt a puppy or an adult dog?\nA: Adult dogs are often calmer and already house-trained; puppies need much more training time.\n\nQ: What should I buy first?\nA: A lead, a bed, food and water bowls, and an appointment with a vet.",
    ),
    (
        "yaml",
        "Give me a YAML config example for a small blog.",
        "```yaml\nsite:\n  title: My Garden Notes\n  language: en\n  author: Jo\nposts:\n  per_page: 10\n  sort: newest_first\ncomments:\n  enabled: true\n  moderation: manual\ntheme:\n  colours: light\n  font: serif\n```",
    ),
    (
        "headings",
        "Give me a plan for a birthday party for a ten-year-old.",
        "## Before the party\nSend invitations two weeks ahead and ask about allergies.\n\n## Setting up\nDecorate the room, prepare a few games, and set out snacks.\n\n## During the party\nStart with a game to break the ice, then cake, then presents.\n\n## Afterwards\nHand out small goody bags and thank the parents who helped.",
    ),
    (
        "bullets",
        "What are some tips for getting better sleep?",
        "- Go to bed and get up at the same time every day.\n- Keep the bedroom dark, quiet and a little cool.\n- Avoid screens for the last half hour before bed.\n- Limit caffeine after lunch.\n- If you cannot sleep after twenty minutes, get up and read until you feel drowsy.",
    ),
    (
        "bullets",
        "How can I reduce food waste at home?",
        "- Plan meals for the week before shopping.\n- Keep a list of what is in the fridge on the door.\n- Store leftovers in clear containers so you see them.\n- Freeze bread and fruit before they go off.\n- Turn odds and ends into soups, stir-fries or smoothies.",
    ),
    (
        "prose",
        "How do I get better at public speaking?",
        "Start small. Speak up once in a meeting, then give a two-minute update, then a short talk to friends. Before each one, know your first sentence by heart, because the opening is where nerves are worst. Practise out loud rather than in your head, record yourself once, and notice one thing to improve. Over time the fear does not vanish, but it becomes familiar, and familiar is manageable.",
    ),
    (
        "prose",
        "How do I get rid of the weeds in my lawn without chemicals?",
        "The simplest method is to pull them by hand after rain, when the soil is soft and the roots come out whole. Mow a little higher so the grass shades out new seedlings, and overseed bare patches in spring or autumn so weeds have nowhere to start. For weeds in paving cracks, boiling water or a stiff brush works well. It takes a season or two, but a thick lawn is the best weed control.",
    ),
    (
        "table",
        "How do I kill time at an airport during a long layover?",
        "| Idea | Time needed | Cost |\n|---|---|---|\n| Walk the terminals | 30 min | free |\n| Lounge day pass | 2-3 h | moderate |\n| Read or download films | any | free |\n| Short city trip (if visa allows) | 5 h+ | varies |\n\nCheck the layover length and re-entry rules before leaving the airport.",
    ),
    (
        "steps",
        "How do I shoot a good photo of a sunset?",
        "First, arrive early so you can choose your spot before the best light. Next, put something interesting in the foreground, such as a tree or a person. Then lower the exposure a little so the sky keeps its colour. Keep shooting after the sun goes down; the sky often glows most ten minutes later. Finally, straighten the horizon when you edit.",
    ),
]

JA = [
    (
        "table",
        "新しい言語を学ぶ方法をいくつか比べてください。",
        "| 方法 | 向いていること | 弱点 |\n|---|---|---|\n| 教室に通う | 体系的に学べる | 時間が固定される |\n| アプリ | 毎日の短い練習 | 話す機会が少ない |\n| 会話相手 | 実際に話せる | 最初は見つけにくい |\n| やさしい本を読む | 語彙が増える | 最初は時間がかかる |\n\n多くの人はアプリで習慣を作り、会話相手で話す練習をする、という組み合わせにしています。",
    ),
    (
        "table",
        "初心者向けの一週間の運動メニューを表にしてください。",
        "| 曜日 | 内容 | 時間 |\n|---|---|---|\n| 月 | 早歩き | 30分 |\n| 火 | スクワット・腕立て・プランク | 20分 |\n| 水 | 休養かストレッチ | 10分 |\n| 木 | 自転車か水泳 | 30分 |\n| 金 | 筋トレをもう一度 | 20分 |\n| 週末 | 散歩やハイキングなど楽しいこと | 自由 |\n\n負荷は一度に一つずつ上げ、痛みがあれば休んでください。",
    ),
    (
        "table",
        "一人暮らしにおすすめの調理家電を比較してください。",
        "| 家電 | できること | 価格帯 |\n|---|---|---|\n| 電子レンジ | 温め・簡単な調理 | 安い |\n| 炊飯器 | ご飯・煮込み料理 | 中くらい |\n| 電気ケトル | お湯をすぐ沸かす | 安い |\n| ホットプレート | 焼き物・鍋 | 中くらい |\n\nまずは電子レンジと炊飯器があれば、たいていの料理はなんとかなります。",
    ),
    (
        "table",
        "初心者でも育てやすい観葉植物を教えてください。",
        "| 植物 | 日当たり | 水やり |\n|---|---|---|\n| ポトス | 明るい日陰 | 土の表面が乾いたら |\n| サンスベリア | どこでも | 2〜3週間に1回 |\n| パキラ | 明るい室内 | 土が乾いたら |\n| モンステラ | 明るい日陰 | 週1回程度 |\n\n初心者が枯らしてしまう一番の原因は、水のやりすぎです。",
    ),
    (
        "dialogue",
        "家計簿のつけ方を会話形式で説明してください。",
        "Q：まず何から始めればいいですか？\nA：先月使ったお金を書き出してみましょう。反省はいりません、数字だけで大丈夫です。\nQ：その次は？\nA：「必要なもの」「欲しいもの」「貯金」の三つに分けます。\nQ：それから？\nA：一つだけ減らす項目を決めて、来月の上限を設定し、週に一度見直します。\nQ：上限を超えたら？\nA：上限を調整すればいいんです。家計簿は何度でも書き直す下書きのようなものです。",
    ),
    (
        "dialogue",
        "先生と生徒が試験勉強について話す短い会話を書いてください。",
        "生徒：どこから手をつければいいのか分かりません。\n先生：まずは、もう分かっているところから始めましょう。そして、あやふやになる境目を探します。\n生徒：そのあとは？\n先生：あやふやな単元を短いリストにして、一つずつ時間を割り当てます。\n生徒：一回どれくらいやればいいですか？\n先生：25分やって休憩。数日たったら、ノートを見ずに自分をテストしてみましょう。\n生徒：それならできそうです。",
    ),
    (
        "dialogue",
        "上司にフィードバックをもらう頼み方を、会話例で教えてください。",
        "あなた：今週10分ほどお時間いただけますか？先日のリリースについてご意見をうかがいたいです。\n上司：いいですよ、木曜日なら空いています。\nあなた：よかった点を一つと、次回変えたほうがいい点を一つ教えていただけますか？\n上司：計画はしっかりしていました。次はリスクをもっと早めに共有してください。\nあなた：ありがとうございます。次のリリース後にもう一度お話しできますか？\n上司：もちろんです。",
    ),
    (
        "dialogue",
        "子どもに光合成を会話で説明してください。",
        "子ども：植物ってどうやってごはんを食べるの？\n親：自分でごはんを作るんだよ。\n子ども：どうやって？\n親：葉っぱで太陽の光を受けて、根っこから水を吸って、空気を取り込むの。\n子ども：それで？\n親：それを混ぜて糖分、つまり植物のごはんを作って、酸素を出すんだ。\n子ども：ぼくたちが吸ってる酸素？\n親：そう。だから植物は自分も食べて、ぼくたちも助けてくれているんだよ。",
    ),
    (
        "steps",
        "良い作文を書くにはどうすればいいですか？",
        "1. まず、問いを自分の言葉で言い直して、何に答えるのかをはっきりさせます。\n2. 次に、言いたいことをいくつか挙げ、それぞれの根拠を集めます。\n3. それから、結論に向かって積み上がる順番に並べます。\n4. 細かいことは気にせず、下書きを一気に書きます。\n5. 最後に推敲します。主張に関係ない部分を削り、一度声に出して読みましょう。",
    ),
    (
        "steps",
        "仕事で難しい問題に取り組むときの進め方を教えてください。",
        "まず、何が問題なのか、誰が困っているのかをはっきりさせます。次に、分かっていることと、まだ調べる必要があることを整理します。それから、考えられる方法を二つか三つ挙げて正直に比べます。そのあと一つを選び、小さく試して様子を見ます。最後に、うまくいったことは残し、だめだったことはやめて、学んだことを書き留めておきます。",
    ),
    (
        "steps",
        "家庭菜園を始める手順を教えてください。",
        "はい、大まかな流れはこうです。\n1. 一日6時間以上日が当たる場所を選びます。\n2. 土をよく耕して、堆肥を混ぜます。\n3. レタス、インゲン、ハーブなど育てやすい作物をいくつか選びます。\n4. 種袋に書かれた間隔で植えます。\n5. 毎日少しずつより、週に数回たっぷり水をやります。\n6. こまめに収穫しましょう。摘むほど実をつける野菜も多いです。",
    ),
    (
        "steps",
        "面接の準備はどうすればいいですか？",
        "進め方を説明します。まず求人票を読み、特に重視されているスキルを三つ書き出します。次に、それぞれについて自分の経験から短いエピソードを用意します。会社について調べ、なぜそこで働きたいのかを言えるようにします。友人に手伝ってもらい、声に出して答える練習をしましょう。当日は少し早めに着き、自分からの質問も用意して、終わったらお礼のメールを送ります。",
    ),
    (
        "steps",
        "簡単な食パンの作り方を手順で教えてください。",
        "1. 小麦粉、水、塩、イーストを粉っぽさがなくなるまで混ぜます。\n2. 生地がなめらかになるまで10分ほどこねます。\n3. 覆いをして、2倍くらいにふくらむまで発酵させます。\n4. 形を整えて型に入れ、もう一度発酵させます。\n5. 焼き色がつき、底をたたくと軽い音がするまでオーブンで焼きます。\n6. 切りたくなっても、冷めるまで待ちましょう。",
    ),
    (
        "steps",
        "散らかった机を片付けて、きれいに保つ方法は？",
        "ステップ1：机の上のものを全部下ろします。\nステップ2：毎日使うものだけを戻します。\nステップ3：それ以外のものには引き出しや箱など置き場所を決め、いらないものは処分します。\nステップ4：毎日終わりに2分だけ机を元の状態に戻します。\nステップ5：月に一度、引き出しの中を見直します。",
    ),
    (
        "json",
        "週末の登山の持ち物リストをJSONで出してください。",
        '{\n  "服装": ["雨具", "防寒着", "登山用靴下", "帽子"],\n  "装備": ["ザック", "ヘッドライト", "水筒", "地図"],\n  "食料": ["おにぎり", "行動食", "果物"],\n  "その他": ["日焼け止め", "救急セット", "モバイルバッテリー"]\n}',
    ),
    (
        "json",
        "簡単な朝のルーティンをJSONで表してください。",
        '{\n  "起床": "7:00",\n  "手順": [\n    {"順番": 1, "内容": "コップ一杯の水を飲む"},\n    {"順番": 2, "内容": "5分ストレッチ"},\n    {"順番": 3, "内容": "朝ごはん"},\n    {"順番": 4, "内容": "一日の予定を確認"}\n  ],\n  "メモ": "毎日続けられる長さにする"\n}',
    ),
    (
        "json",
        "カレーのレシピをJSON形式で書いてください。",
        '{\n  "料理名": "基本のカレー",\n  "人数": 4,\n  "材料": ["玉ねぎ", "にんじん", "じゃがいも", "肉", "カレールー"],\n  "作り方": [\n    "野菜と肉を一口大に切る",\n    "鍋で炒めてから水を加えて煮る",\n    "火を止めてルーを溶かし、とろみがつくまで煮込む"\n  ]\n}',
    ),
    (
        "json",
        "図書館アプリの本のデータ例をJSONで見せてください。",
        '{\n  "id": "b-1024",\n  "タイトル": "サンプルの本",\n  "著者": "山田 花子",\n  "出版年": 2019,\n  "貸出可能": true,\n  "タグ": ["小説", "ミステリー"],\n  "場所": {"棚": "C3", "階": 2}\n}',
    ),
    (
        "email",
        "大家さんに台所の水漏れの修理をお願いするメールを書いてください。",
        "件名：台所の蛇口の水漏れについて\n\n佐藤様\n\nいつもお世話になっております。402号室の田中です。月曜日から台所の蛇口から水がぽたぽたと漏れ続けており、少しずつひどくなっています。今週中にどなたかに見ていただくことは可能でしょうか。平日の午後はたいてい在宅しております。\n\nお手数をおかけしますが、よろしくお願いいたします。\n\n田中",
    ),
    (
        "email",
        "チームに新しい会議の日程を知らせるメールを書いてください。",
        "件名：来週からの定例会議の日程変更\n\n皆さん\n\nお疲れさまです。来週から、週次の定例会議を火曜日10時に移します。最初に一人ずつ短く近況を共有し、残りの時間は事前に決めたテーマを一つ話し合います。テーマは月曜日の夕方までに共有ドキュメントに書き込んでください。\n\n時間が合わない方は教えてください。\n\n鈴木",
    ),
    (
        "email",
        "結婚式の招待を丁寧にお断りするメールを書いてください。",
        "件名：ご結婚おめでとうございます\n\n健太さん、由美さん\n\nこのたびはご結婚おめでとうございます。素敵なご招待をいただき、本当にありがとうございます。あいにく当日は海外出張が入っており、出席がかないません。心よりお祝い申し上げるとともに、戻りましたらぜひお祝いの食事をご一緒させてください。\n\nお二人の末永いお幸せをお祈りしております。\n\n真由美",
    ),
    (
        "email",
        "取引先に未払いの請求書について確認するメールを書いてください。",
        "件名：請求書（No.2024-031）のお支払いについて\n\n株式会社〇〇 経理ご担当者様\n\nいつも大変お世話になっております。3月3日にお送りした請求書No.2024-031につきまして、お支払期日を2週間ほど過ぎておりますため、ご確認のご連絡を差し上げました。念のため請求書の写しを添付いたします。すでにお手続き済みでしたら、行き違いをご容赦ください。\n\n何卒よろしくお願いいたします。",
    ),
    (
        "story",
        "灯台守の短いお話を書いてください。",
        "毎晩、マルタは灯台の百十二段の階段をのぼりました。まず大きなレンズを拭き、次に油を確かめ、最後に灯りをともして、暗い海をなでる光を見守りました。ある嵐の夜、小さな漁船がその光をたよりに港へ戻ってきました。翌朝、マルタの家の戸口にはパンのかごが置かれていて、「いてくれてありがとう」とだけ書かれた手紙が添えてありました。",
    ),
    (
        "story",
        "分け合うことを覚えた猫のお話を書いてください。",
        "ねこのコムギは、日の当たる窓辺を自分のものだと思っていました。ある朝、そこに子ねこがよじのぼってきました。コムギは毛を逆立て、すねて、最後にはあきらめて場所をゆずりました。お昼になると日差しが動き、二匹は残ったひだまりで丸くなっていました。コムギは、二匹で分けた窓辺は二倍あたたかいと思いました。",
    ),
    (
        "story",
        "忍耐についての寓話を書いてください。",
        "若い農夫は種をまくと、毎朝それを掘り出して育っているか確かめました。何も育ちませんでした。一週間見ていた隣の老人が言いました。「まず植える、次に水をやる、それから待つんだよ」。農夫はその通りにしました。何週間かして緑の芽が出たとき、農夫は、確かめるのをやめて初めて起こることもあるのだと知りました。",
    ),
    (
        "analogy",
        "料理にたとえて、プロジェクトの進め方を説明してください。",
        "プロジェクトは料理に似ています。まず献立を決める、つまり何を作るかをはっきりさせます。次に材料をそろえ、下ごしらえをします。それから火加減を見ながら順番に調理し、途中で味見をして調整します。最後に盛りつけて出し、食べた人の感想を聞いて次に生かします。味見を省くと、最後に取り返しがつかなくなるのも同じです。",
    ),
    (
        "analogy",
        "インターネットの仕組みをたとえ話で説明してください。",
        "インターネットは郵便に似ています。送りたいメッセージはたくさんのはがきに分けられ、それぞれに宛先が書かれます。はがきは別々の郵便局を通って、ときには違う道順で届き、受け取る側で元の順番に並べ直されます。ルーターは郵便局、プロトコルは宛先の書き方についてみんなが守る約束ごとです。",
    ),
    (
        "analogy",
        "複利を身近なたとえで説明してください。",
        "複利は坂を転がる雪玉のようなものです。最初は小さく、少しの雪しかつきません。でも大きくなるほど、一回転ごとにつく雪が増えていきます。お金も同じで、受け取った利息がさらに利息を生むので、長く置いておくほど増え方が速くなります。",
    ),
    (
        "code_comment",
        "テキストの単語数を数えるPython関数をコメント付きで書いてください。",
        "```python\ndef count_words(text: str) -> dict[str, int]:\n    # まず大文字と小文字をそろえて、同じ単語として数えられるようにする\n    words = text.lower().split()\n    counts: dict[str, int] = {}\n    # 次に単語を一つずつ見て数を足していく\n    for word in words:\n        counts[word] = counts.get(word, 0) + 1\n    # 最後に集計結果を返す\n    return counts\n```",
    ),
    (
        "code_comment",
        "書類フォルダをバックアップするシェルスクリプトをコメント付きで見せてください。",
        '```bash\n#!/bin/sh\n# 手順1：今日の日付でバックアップ先の名前を決める\ndest="$HOME/backups/docs-$(date +%Y-%m-%d)"\n# 手順2：フォルダがなければ作る\nmkdir -p "$dest"\n# 手順3：更新日時を保ったまま書類をコピーする\ncp -a "$HOME/Documents/." "$dest/"\n# 手順4：結果を表示する\necho "$dest にバックアップしました"\n```',
    ),
    (
        "code_comment",
        "うるう年を判定するJavaScript関数をコメント付きで書いてください。",
        "```javascript\nfunction isLeapYear(year) {\n  // 4で割り切れない年はうるう年ではない\n  if (year % 4 !== 0) return false;\n  // 100で割り切れない年はうるう年\n  if (year % 100 !== 0) return true;\n  // 100で割り切れる年は、400で割り切れるときだけうるう年\n  return year % 400 === 0;\n}\n```",
    ),
    (
        "faq",
        "地域の読書会のよくある質問を作ってください。",
        "**いつ集まりますか？** 毎月第一木曜日の19時からです。\n\n**場所は？** 公民館の2番の部屋です。\n\n**本はどうやって決めますか？** 参加者が候補を出し、毎回の最後に投票で決めます。\n\n**読み終わっていなくても参加できますか？** もちろんです。話を聞くだけでも楽しめます。\n\n**参加費は？** 無料です。よければお菓子を一品お持ちください。",
    ),
    (
        "faq",
        "犬を飼う前によくある質問に答えてください。",
        "Q：毎日どれくらい時間が必要ですか？\nA：散歩と遊びで最低1時間、若い犬や活発な犬種ならもっと必要です。\n\nQ：子犬と成犬、どちらがいいですか？\nA：成犬は落ち着いていてトイレのしつけが済んでいることが多く、子犬はしつけに時間がかかります。\n\nQ：最初に何を用意すればいいですか？\nA：リード、ベッド、食器、フード、それに動物病院の予約です。",
    ),
    (
        "yaml",
        "小さなブログの設定ファイルの例をYAMLで書いてください。",
        "```yaml\nsite:\n  title: 庭仕事ノート\n  language: ja\n  author: みどり\nposts:\n  per_page: 10\n  sort: newest_first\ncomments:\n  enabled: true\n  moderation: manual\n```",
    ),
    (
        "headings",
        "10歳の子の誕生日会の計画を立ててください。",
        "## 準備\n2週間前に招待状を送り、アレルギーの有無を確認します。\n\n## 会場づくり\n部屋を飾りつけ、ゲームをいくつか用意し、お菓子を並べます。\n\n## 当日\nまず打ち解けるためのゲーム、次にケーキ、それからプレゼントです。\n\n## 終わったら\n小さなお土産を渡し、手伝ってくれた保護者にお礼を伝えます。",
    ),
    (
        "bullets",
        "よく眠るためのコツを教えてください。",
        "・毎日同じ時間に寝て、同じ時間に起きる\n・寝室は暗く静かに、少し涼しめにする\n・寝る前の30分はスマホを見ない\n・昼以降はカフェインを控える\n・20分たっても眠れなければ、一度起きて眠くなるまで本を読む",
    ),
    (
        "bullets",
        "家庭での食品ロスを減らす方法は？",
        "・買い物の前に一週間の献立を決める\n・冷蔵庫の中身をメモして扉に貼る\n・残り物は中身が見える容器に入れる\n・パンや果物は傷む前に冷凍する\n・半端な食材はスープや炒め物にする",
    ),
    (
        "prose",
        "人前で話すのが上手になるには？",
        "小さく始めましょう。会議で一度発言する、次に2分の報告をする、それから友人の前で短い話をする、という順に。毎回、最初の一文だけは暗記しておくと、一番緊張する出だしを乗り切れます。頭の中ではなく声に出して練習し、一度は録音して、直すところを一つだけ見つけます。緊張は消えませんが、慣れたものになり、慣れたものなら扱えます。",
    ),
    (
        "prose",
        "薬を使わずに庭の雑草を減らす方法は？",
        "一番簡単なのは、雨のあと土がやわらかいうちに手で抜くことです。根ごと抜けます。芝は少し高めに刈ると新しい雑草の芽に日が当たらなくなり、はげた場所には春か秋に種をまいて、雑草が生える隙間をなくします。敷石のすき間には熱湯やかたいブラシが効きます。一、二シーズンかかりますが、密な芝生が一番の雑草対策です。",
    ),
    (
        "steps",
        "夕焼けの写真をきれいに撮るには？",
        "まず、良い光になる前に着いて場所を選びます。次に、木や人など手前に何か入れて奥行きを出します。それから露出を少し下げて、空の色が飛ばないようにします。日が沈んでからも撮り続けましょう。10分後に空が一番赤く染まることもよくあります。最後に、編集で水平を整えます。",
    ),
    (
        "analogy",
        "パソコンのメモリの仕組みを台所にたとえて説明してください。",
        "台所を思い浮かべてください。ハードディスクは食料庫で、たくさん入りますが取りに行くのに時間がかかります。メモリは調理台で、広くはないけれど、料理中に手が届きます。CPUは料理人です。調理台がいっぱいになると、料理人は何度も食料庫へ往復することになり、全体が遅くなります。",
    ),
]


def main() -> None:
    for lang, items in (("en", EN), ("ja", JA)):
        path = OUT / f"benign_{lang}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for i, (layout, prompt, answer) in enumerate(items):
                row = {
                    "id": f"benign-{lang}-{i:04d}",
                    "lang": lang,
                    "split": "train",
                    "kind": "benign_layout",
                    "layout": layout,
                    "prompt": prompt,
                    "answer": answer,
                    "refusal": "compliance",
                    "harmful": False,
                    "category": None,
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{path}: {len(items)} answers")


if __name__ == "__main__":
    main()
