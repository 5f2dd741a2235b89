print("isr")
